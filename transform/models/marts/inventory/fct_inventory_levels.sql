with

levels as (

    select * from {{ ref('stg_shopify__inventory_levels') }}
    where not is_deleted

),

items as (

    select * from {{ ref('stg_shopify__inventory_items') }}

),

locations as (

    select * from {{ ref('dim_locations') }}

),

joined as (

    select
        levels.inventory_level_sk,
        locations.location_sk,
        levels.store_id,
        levels.location_id,
        levels.inventory_item_id,
        -- the item is the authority on its sku; the level's copy only fills in for a missing item
        case when items.inventory_item_id is not null then items.sku else levels.sku end as sku,
        items.oversell_policy,
        locations.location_name,
        locations.is_active,
        levels.available,
        levels.on_hand,
        levels.committed,
        levels.reserved,
        levels.incoming,
        levels.damaged,
        levels.quality_control,
        levels.safety_stock,
        levels.updated_at,
        levels.synced_at

    from levels
    left join items
        on levels.store_id = items.store_id
        and levels.inventory_item_id = items.inventory_item_id
    left join locations
        on levels.store_id = locations.store_id
        and levels.location_id = locations.location_id

),

final as (

    select * from joined

)

select * from final
