with

source as (

    select * from {{ source('__channel__', 'inventory_items') }}

),

renamed as (

    select
        cast(store_id as varchar) as store_id,
        cast(inventory_item_id as varchar) as inventory_item_id,
        cast(product_id as varchar) as product_id,
        cast(variant_id as varchar) as variant_id,
        cast(sku as varchar) as sku_raw,
        {{ normalize_sku('sku') }} as sku,
        cast(is_tracked as boolean) as is_tracked,
        -- every item of this platform can hold stock
        true as holds_stock,
        lower(cast(oversell_policy as varchar)) as oversell_policy,
        cast(unit_cost as decimal(18, 4)) as unit_cost,
        upper(cast(currency as varchar)) as currency,
        cast(updated_at as timestamp) as updated_at,
        cast(synced_at as timestamp) as synced_at,
        _sdc_extracted_at,
        _sdc_batched_at

    from source

),

{{ stage_rows('renamed', '__channel__', 'inventory_items', ['store_id', 'inventory_item_id']) }}
