-- The demand buffer of the push plan (setting push_demand_minutes = N): per SKU, what it sells in N minutes on
-- sale, read from the level history. Each channel holds it back: what sold in the last few minutes is what may sell
-- again elsewhere before our next write lands there, so the last units cannot be sold twice. Off (no rows, nothing
-- read) while N is 0. Where the sales are read, by push_mode:
--   system_of_record  the record store's decreases (it receives every channel's orders; the push never writes it)
--   pooled            every channel store's decreases, less what our own applied writes changed between the two
--                     observations (a level we lowered from 9 to 5 and then saw at 4 sold 1)
-- "On sale" is what keeps the buffer honest about demand it could not see. In system_of_record mode the time the
-- SKU's record showed 0 at every location does not count: the buffer is what sold in the SKU's last N minutes on
-- sale, however long ago, so a SKU restocked after an hour at 0 is held back by what it sold before it ran out, not
-- by the nothing it could sell while out. Pooled mode counts every minute: there the channels show what we write,
-- and a SKU we hold at 0 must not keep its buffer for ever. Once a SKU has been on sale for N minutes without
-- selling, its buffer is 0. A unit received in the same interval as a sale hides it (restocks are rare next to
-- sales); a level that disappears from its store keeps counting as last seen.
{%- set mode = push_mode() %}
{%- set window_s = (mart_number('push_demand_minutes') | float * 60) | int %}

with

history as (

    select
        changes.level_version_sk,
        changes.channel,
        changes.store_id,
        changes.location_id,
        changes.sku,
        changes.available,
        changes.available_change,
        changes.observed_at,
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

versions as (

    -- each version: how much it changed what the SKU shows, and what it sold (the decrease since the observation
    -- before it, less what our own writes changed there in between)
    select
        history.sku,
        history.observed_at,
        max(coalesce(history.available_change, history.available)) as shown_change,
        case
            when max(history.available_change) is null then 0  -- a level's first observation
            else greatest(coalesce(sum(writes.written_units), 0) - max(history.available_change), 0)
        end as sold_units

    from history
    left join writes
        on
            history.channel = writes.channel
            and history.store_id = writes.store_id
            and history.location_id = writes.location_id
            and history.sku = writes.sku
            and history.previous_observed_at < writes.recorded_at
            and history.observed_at >= writes.recorded_at
    group by history.level_version_sk, history.sku, history.observed_at

),

moments as (

    select
        sku,
        observed_at,
        sum(shown_change) as shown_change,
        sum(sold_units) as sold_units

    from versions
    group by sku, observed_at

),

intervals as (

    -- the SKU between two observations: what it showed (every location summed) and what was seen sold at the end;
    -- the last runs to now, nothing seen sold yet
    select
        sku,
        observed_at as started_at,
        coalesce(lead(observed_at) over (partition by sku order by observed_at), {{ mart_as_of() }}) as ended_at,
        sum(shown_change) over (partition by sku order by observed_at rows unbounded preceding) as shown,
        coalesce(lead(sold_units) over (partition by sku order by observed_at), 0) as sold_units

    from moments

),

on_sale as (

    select
        *,
        {{ dbt.datediff('started_at', 'ended_at', 'second') }} as seconds

    from intervals
    where {{ 'true' if mode == 'pooled' else 'shown > 0' }}

),

latest as (

    -- the SKU's intervals on sale, newest first, while those after it are less than N minutes
    select * from (
        select
            *,
            coalesce(sum(seconds) over (
                partition by sku order by ended_at desc
                rows between unbounded preceding and 1 preceding
            ), 0) as later_seconds

        from on_sale
    ) as ranked
    where later_seconds < {{ window_s }}

),

final as (

    select
        sku,
        cast(sum(sold_units) as integer) as demand_units

    from latest
    group by sku

)

select * from final
