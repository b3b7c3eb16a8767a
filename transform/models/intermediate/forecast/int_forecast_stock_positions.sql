-- The stock position of every forecast series now: units available (the current version of each level in the
-- snapshot, summed over the levels of one SKU at one location) and units on order (the platform's `incoming`,
-- where it has one; 0 elsewhere). The reorder suggestions compare it with the reorder point.
with

snapshot_rows as (

    select * from {{ ref('snap_inventory_levels') }}
    where dbt_valid_to is null and sku is not null

),

final as (

    select
        channel,
        store_id,
        location_id,
        sku,
        cast(sum(available) as {{ dbt.type_float() }}) as available_quantity,
        cast(sum(coalesce(incoming, 0)) as {{ dbt.type_float() }}) as on_order_quantity

    from snapshot_rows
    group by channel, store_id, location_id, sku

)

select * from final
