with

levels as (

    -- polled levels with webhook observations merged in (intermediate/webhooks; the union when webhooks are off)
    select * from {{ ref('int_inventory_levels_merged') }}
    where not is_deleted

),

items as (

    select * from {{ ref('int_inventory_items_unioned') }}

),

locations as (

    select * from {{ ref('dim_locations') }}

),

joined as (

    select
        levels.inventory_level_sk,
        levels.location_sk,
        levels.inventory_item_sk,
        levels.channel,
        levels.store_id,
        levels.location_id,
        levels.inventory_item_id,
        -- the item is the authority on its sku; the level's copy only fills in for a missing item
        case when items.inventory_item_id is not null then items.sku else levels.sku end as sku,
        items.oversell_policy,
        items.is_tracked,
        items.holds_stock,
        items.unit_cost,
        items.currency,
        locations.location_name,
        locations.is_active,
        locations.fulfills_online_orders,
        -- stock here can be sold online: an active location that fulfils online orders (unknown counts as yes)
        coalesce(
            locations.is_active and not locations.is_deleted and coalesce(locations.fulfills_online_orders, true),
            false
        ) as is_sellable_location,
        levels.available,
        levels.on_hand,
        levels.committed,
        levels.reserved,
        levels.incoming,
        levels.damaged,
        levels.quality_control,
        levels.safety_stock,
        levels.updated_at,
        levels.synced_at,
        levels.observed_at,
        levels.observed_by

    from levels
    left join items
        on levels.inventory_item_sk = items.inventory_item_sk
    left join locations
        on levels.location_sk = locations.location_sk

),

final as (

    select * from joined

)

select * from final
