-- The demand buffer of the push plan (setting push_demand_minutes = N): per SKU, what it sells in N minutes on
-- sale, read from the level history. Each channel holds it back: what sold in the last few minutes is what may sell
-- again elsewhere before our next write lands there, so the last units cannot be sold twice. Off (no rows, nothing
-- read) while N is 0. Where the sales are read, by push_mode:
--   system_of_record  the record store's decreases (it receives every channel's orders; the push never writes it)
--   pooled            every channel store's decreases, less what our own applied writes changed between the two
--                     observations (a level we lowered from 9 to 5 and then saw at 4 sold 1)
-- "On sale" is what keeps the buffer honest about demand it could not see:
--   - A level's time at 0 does not count (system_of_record: the record showed nothing, so nothing could sell).
--     Per level, the buffer is what sold in its last N minutes on sale, however long ago: a SKU restocked after
--     an hour at 0 is held back by what it sold before it ran out, not by the nothing it sold while out. Pooled
--     mode counts every minute: there the channels show what we write, and a SKU we hold at 0 must not keep its
--     buffer for ever.
-- Once a SKU has been on sale for N minutes without selling, its buffer is 0. A unit received in the same interval
-- as a sale hides it (restocks are rare next to sales).
{%- set mode = push_mode() %}
{%- set window_s = (mart_number('push_demand_minutes') | float * 60) | int %}

with

history as (

    select
        changes.level_version_sk,
        changes.inventory_level_sk,
        changes.channel,
        changes.store_id,
        changes.location_id,
        changes.sku,
        changes.available,
        changes.previous_available,
        changes.available_change,
        changes.observed_at,
        changes.is_current,
        lag(changes.observed_at) over (
            partition by changes.inventory_level_sk order by changes.dbt_valid_from
        ) as previous_observed_at

    from {{ ref('int_inventory_level_changes') }} as changes
    left join {{ ref('mart_system_of_record') }} as record
        on
            changes.channel = record.record_channel
            and changes.store_id = record.record_store_id
            and record.status = 'ok'
    where
        changes.sku is not null
        and ('{{ mode }}' = 'pooled' or record.record_channel is not null)
        and {{ 'true' if window_s > 0 else 'false' }}  -- push_demand_minutes 0: off, nothing to read

),

intervals as (

    -- the time between two observations of a level, with the change seen at its end ...
    select
        inventory_level_sk,
        channel,
        store_id,
        location_id,
        sku,
        previous_observed_at as started_at,
        observed_at as ended_at,
        previous_available as shown,
        available_change

    from history
    where previous_observed_at is not null

    union all

    -- ... and the time since the last one, where nothing has been seen to sell yet
    select
        inventory_level_sk,
        channel,
        store_id,
        location_id,
        sku,
        observed_at as started_at,
        {{ mart_as_of() }} as ended_at,
        available as shown,
        null as available_change

    from history
    where is_current

),

on_sale as (

    select
        *,
        {{ dbt.datediff('started_at', 'ended_at', 'second') }} as seconds

    from intervals
    where {{ 'true' if mode == 'pooled' else 'shown > 0' }}

),

latest as (

    -- each level's intervals on sale, newest first, while those after it are less than N minutes
    select * from (
        select
            *,
            coalesce(sum(seconds) over (
                partition by inventory_level_sk order by ended_at desc
                rows between unbounded preceding and 1 preceding
            ), 0) as later_seconds

        from on_sale
    ) as ranked
    where later_seconds < {{ window_s }}

),

writes as (

    select
        channel,
        store_id,
        location_id,
        {{ normalize_sku('sku') }} as sku,
        recorded_at,
        to_quantity - from_quantity as written_units

    from {{ ref('stg_push__push_log') }}
    where result = 'applied' and not is_dry_run

),

sold as (

    -- what each interval sold: the decrease seen at its end, less what our own writes changed in it
    select
        latest.inventory_level_sk,
        latest.sku,
        latest.started_at,
        case
            when max(latest.available_change) is null then 0  -- the time since the last observation
            else greatest(coalesce(sum(writes.written_units), 0) - max(latest.available_change), 0)
        end as sold_units

    from latest
    left join writes
        on
            latest.channel = writes.channel
            and latest.store_id = writes.store_id
            and latest.location_id = writes.location_id
            and latest.sku = writes.sku
            and latest.started_at < writes.recorded_at
            and latest.ended_at >= writes.recorded_at
    group by latest.inventory_level_sk, latest.sku, latest.started_at

),

final as (

    select
        sku,
        cast(sum(sold_units) as integer) as demand_units

    from sold
    group by sku

)

select * from final
