-- On-hand value per level (SKU x location x channel store) from the item's unit cost, in the item's currency
-- (kept, never converted; null when the platform does not say), and stock aging: days since the level last
-- received stock (its on-hand quantity rose, or it first appeared), bucketed 0-30, 31-90, 91-180, >180.
with

levels as (

    select * from {{ ref('fct_inventory_levels') }}

),

items as (

    select * from {{ ref('int_inventory_items_unioned') }}

),

changes as (

    select * from {{ ref('int_inventory_level_changes') }}

),

received as (

    select
        inventory_level_sk,
        max(observed_at) as last_received_at

    from changes
    where previous_on_hand is null or on_hand_change > 0
    group by inventory_level_sk

),

joined as (

    select
        levels.inventory_level_sk,
        levels.channel,
        levels.store_id,
        levels.location_id,
        levels.location_name,
        levels.inventory_item_id,
        levels.sku,
        levels.on_hand,
        items.unit_cost,
        items.currency,
        levels.on_hand * items.unit_cost as on_hand_value,
        coalesce(received.last_received_at, levels.synced_at) as last_received_at,
        {{ dbt.datediff('coalesce(received.last_received_at, levels.synced_at)', mart_as_of(), 'day') }}
            as days_since_received

    from levels
    left join items
        on levels.inventory_item_sk = items.inventory_item_sk
    left join received
        on levels.inventory_level_sk = received.inventory_level_sk

),

final as (

    select
        *,
        case
            when days_since_received <= 30 then '0-30'
            when days_since_received <= 90 then '31-90'
            when days_since_received <= 180 then '91-180'
            else '>180'
        end as aging_bucket

    from joined

)

select * from final
