with

source as (

    select * from {{ source('bigcommerce', 'inventory_levels') }}

),

renamed as (

    select
        cast(store_id as varchar) as store_id,
        cast(location_id as varchar) as location_id,
        cast(inventory_item_id as varchar) as inventory_item_id,
        cast(product_id as varchar) as product_id,
        cast(variant_id as varchar) as variant_id,
        cast(sku as varchar) as sku_raw,
        {{ normalize_sku('sku') }} as sku,
        cast(bin_picking_number as varchar) as bin_picking_number,
        cast(is_in_stock as boolean) as is_in_stock,
        -- BigCommerce reports available_to_sell, total_inventory_onhand and safety_stock only.
        cast(available as integer) as available,
        cast(on_hand as integer) as on_hand,
        cast(null as integer) as committed,
        cast(null as integer) as reserved,
        cast(null as integer) as incoming,
        cast(null as integer) as damaged,
        cast(null as integer) as quality_control,
        cast(safety_stock as integer) as safety_stock,
        cast(warning_level as integer) as warning_level,
        cast(null as timestamp) as updated_at,
        cast(synced_at as timestamp) as synced_at,
        _sdc_extracted_at,
        _sdc_batched_at

    from source

),

{{ stage_rows(
    'renamed', 'bigcommerce', 'inventory_levels', ['store_id', 'location_id', 'inventory_item_id'], 'inventory_level_sk'
) }}
