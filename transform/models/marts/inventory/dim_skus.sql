-- One row per normalized SKU listed by any channel (items that still exist), and which channels list it.
with

items as (

    select * from {{ ref('int_inventory_items_unioned') }}
    where not is_deleted and sku is not null

),

per_channel as (

    select
        sku,
        channel,
        count(*) as item_count,
        sum(case when is_tracked and holds_stock then 1 else 0 end) as tracked_item_count,
        min(unit_cost) as min_unit_cost,
        max(unit_cost) as max_unit_cost

    from items
    group by sku, channel

),

final as (

    select
        sku,
        count(*) as channel_count,
        {{ dbt.listagg('channel', "','", 'order by channel') }} as channels,
        sum(case when tracked_item_count > 0 then 1 else 0 end) as tracked_channel_count,
        sum(item_count) as item_count,
        min(min_unit_cost) as min_unit_cost,
        max(max_unit_cost) as max_unit_cost

    from per_channel
    group by sku

)

select * from final
