-- The demand buffer of the push plan (setting push_demand_minutes): per SKU, the units sold on every channel in the
-- last push_demand_minutes, read from the level history. Each channel holds them back: what sold in the last few
-- minutes is what may sell again elsewhere before our next write lands there, so the last units cannot be sold
-- twice. Off (no rows, nothing read) while push_demand_minutes is 0; once a SKU stops selling, its buffer is gone
-- push_demand_minutes later. Where the sales are read, by push_mode:
--   system_of_record  the record store's decreases (it receives every channel's orders; the push never writes it)
--   pooled            every channel store's decreases, less what our own applied writes changed between the two
--                     observations (a level we lowered from 9 to 5 and then saw at 4 sold 1)
-- A unit received in the same interval as a sale hides it (restocks are rare next to sales).
{%- set mode = push_mode() %}
{%- set minutes = mart_number('push_demand_minutes') %}

with

history as (

    select
        changes.level_version_sk,
        changes.channel,
        changes.store_id,
        changes.location_id,
        changes.sku,
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
        and {{ 'true' if minutes | float > 0 else 'false' }}  -- push_demand_minutes 0: off, nothing to read

),

recent as (

    select * from history
    where
        previous_observed_at is not null
        and observed_at > {{ dbt.dateadd('second', '-' ~ (minutes | float * 60) | int, mart_as_of()) }}

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

    -- each recent change, with what our writes changed at that level since the observation before it
    select
        recent.level_version_sk,
        recent.sku,
        max(recent.available_change) as available_change,
        coalesce(sum(writes.written_units), 0) as written_units

    from recent
    left join writes
        on
            recent.channel = writes.channel
            and recent.store_id = writes.store_id
            and recent.location_id = writes.location_id
            and recent.sku = writes.sku
            and recent.previous_observed_at < writes.recorded_at
            and recent.observed_at >= writes.recorded_at
    group by recent.level_version_sk, recent.sku

),

final as (

    select
        sku,
        cast(sum(greatest(written_units - available_change, 0)) as integer) as demand_units

    from versions
    group by sku

)

select * from final
