with

source as (

    select * from {{ source('bigcommerce', 'inventory_items') }}

),

renamed as (

    select
        cast(store_id as varchar) as store_id,
        cast(inventory_item_id as varchar) as inventory_item_id,
        cast(product_id as varchar) as product_id,
        cast(variant_id as varchar) as variant_id,
        cast(sku as varchar) as sku_raw,
        {{ normalize_sku('sku') }} as sku,
        cast(product_name as varchar) as product_name,
        cast(inventory_tracking as varchar) as inventory_tracking,
        cast(is_tracked as boolean) as is_tracked,
        -- every item of this platform can hold stock
        true as holds_stock,
        cast(is_base_variant as boolean) as is_base_variant,
        cast(purchasing_disabled as boolean) as is_purchasing_disabled,
        cast(null as varchar) as oversell_policy,
        cast(bin_picking_number as varchar) as bin_picking_number,
        cast(inventory_warning_level as integer) as inventory_warning_level,
        cast(unit_cost as decimal(18, 4)) as unit_cost,
        upper(cast(currency as varchar)) as currency,
        cast(created_at as timestamp) as created_at,
        cast(updated_at as timestamp) as updated_at,
        cast(synced_at as timestamp) as synced_at,
        _sdc_extracted_at,
        _sdc_batched_at

    from source

),

{{ stage_rows('renamed', 'bigcommerce', 'inventory_items', ['store_id', 'inventory_item_id']) }}
