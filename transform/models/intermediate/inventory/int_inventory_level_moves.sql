-- Every version of every level (int_inventory_level_changes) with what our own push wrote there since the version
-- before it, and the change net of those writes: what the store's own business (orders, receipts, corrections)
-- moved between two observations. A level we lowered from 9 to 5 and then saw at 4 moved -5, of which the push
-- wrote -4: net -1, one unit sold. Writes are the push log's applied ones (not dry runs), matched on the level and
-- on the time between the two observations. A level's first version has no change, so neither column.
-- The demand history (the forecast's input) and the push's demand buffer read it.
with

changes as (

    select
        *,
        lag(observed_at) over (partition by inventory_level_sk order by dbt_valid_from) as previous_observed_at

    from {{ ref('int_inventory_level_changes') }}

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

pushed as (

    select
        changes.level_version_sk,
        sum(writes.written_units) as units_pushed

    from changes
    inner join writes
        on
            changes.channel = writes.channel
            and changes.store_id = writes.store_id
            and changes.location_id = writes.location_id
            and changes.sku = writes.sku
            and changes.previous_observed_at < writes.recorded_at
            and changes.observed_at >= writes.recorded_at
    group by changes.level_version_sk

),

final as (

    select
        changes.level_version_sk,
        changes.inventory_level_sk,
        changes.channel,
        changes.store_id,
        changes.location_id,
        changes.sku,
        changes.available,
        changes.available_change,
        changes.observed_at,
        changes.is_current,
        changes.dbt_valid_from,
        changes.dbt_valid_to,
        case when changes.available_change is not null then coalesce(pushed.units_pushed, 0) end as units_pushed,
        changes.available_change - coalesce(pushed.units_pushed, 0) as net_available_change

    from changes
    left join pushed
        on changes.level_version_sk = pushed.level_version_sk

)

select * from final
