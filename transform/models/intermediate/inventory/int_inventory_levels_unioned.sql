with

unioned as (

    {{ union_channels('inventory_levels', [
        'store_id', 'location_id', 'inventory_item_id', 'sku', 'is_deleted',
        'available', 'on_hand', 'committed', 'reserved', 'incoming',
        'damaged', 'quality_control', 'safety_stock', 'updated_at', 'synced_at',
    ]) }}

),

final as (

    select
        {{ surrogate_key(['channel', 'store_id', 'location_id', 'inventory_item_id']) }} as inventory_level_sk,
        {{ surrogate_key(['channel', 'store_id', 'location_id']) }} as location_sk,
        {{ surrogate_key(['channel', 'store_id', 'inventory_item_id']) }} as inventory_item_sk,
        *
    from unioned

)

select * from final
