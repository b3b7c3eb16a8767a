with

source as (

    select * from {{ source('magento', 'inventory_items') }}

),

renamed as (

    select
        cast(store_id as varchar) as store_id,
        cast(inventory_item_id as varchar) as inventory_item_id,
        cast(product_id as varchar) as product_id,
        cast(variant_id as varchar) as variant_id,
        cast(sku as varchar) as sku_raw,
        {{ normalize_sku('sku') }} as sku,
        cast(name as varchar) as product_name,
        cast(type_id as varchar) as product_type,
        cast(status as integer) = 1 as is_enabled,
        cast(is_tracked as boolean) as is_tracked,
        -- composite products (configurable, bundle, grouped) hold no stock of their own
        coalesce(cast(type_id as varchar), '') not in ('configurable', 'bundle', 'grouped') as holds_stock,
        lower(cast(oversell_policy as varchar)) as oversell_policy,
        cast(backorders as integer) as backorders,
        cast(unit_cost as decimal(18, 4)) as unit_cost,
        upper(cast(currency as varchar)) as currency,
        cast(created_at as timestamp) as created_at,
        cast(updated_at as timestamp) as updated_at,
        cast(synced_at as timestamp) as synced_at,
        _sdc_extracted_at,
        _sdc_batched_at

    from source

),

{{ stage_rows('renamed', 'magento', 'inventory_items', ['store_id', 'inventory_item_id']) }}
