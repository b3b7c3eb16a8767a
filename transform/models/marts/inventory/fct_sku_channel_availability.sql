-- One row per SKU x channel store that tracks it: what the channel can sell now. The sellable quantity is the
-- sum of `available` at the locations that are active and fulfil online orders (unknown counts as yes: the
-- platform does not say); the oversell policy is `continue` when any of the channel's items of the SKU keeps
-- selling at zero.
with

items as (

    select * from {{ ref('int_inventory_items_unioned') }}
    where not is_deleted and is_tracked and holds_stock and sku is not null

),

sellable_levels as (

    select * from {{ ref('fct_inventory_levels') }}
    where is_sellable_location

),

final as (

    select
        items.sku,
        items.channel,
        items.store_id,
        coalesce(sum(sellable_levels.available), 0) as sellable_quantity,
        case
            when max(case when items.oversell_policy = 'continue' then 1 else 0 end) = 1 then 'continue'
            when max(case when items.oversell_policy = 'deny' then 1 else 0 end) = 1 then 'deny'
        end as oversell_policy,
        count(distinct sellable_levels.location_sk) as location_count,
        count(distinct items.inventory_item_sk) as item_count

    from items
    left join sellable_levels
        on items.inventory_item_sk = sellable_levels.inventory_item_sk
    group by items.sku, items.channel, items.store_id

)

select * from final
