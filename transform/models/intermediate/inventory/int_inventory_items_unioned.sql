with

unioned as (

    {{ union_channels('inventory_items', [
        'store_id', 'inventory_item_id', 'product_id', 'variant_id', 'sku', 'is_tracked', 'holds_stock',
        'oversell_policy', 'is_deleted', 'unit_cost', 'currency', 'updated_at', 'synced_at',
    ]) }}

),

final as (

    select
        {{ surrogate_key(['channel', 'store_id', 'inventory_item_id']) }} as inventory_item_sk,
        *
    from unioned

)

select * from final
