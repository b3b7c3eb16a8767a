with

source as (

    select * from {{ source('__channel__', 'inventory_levels') }}

),

renamed as (

    select
        cast(store_id as varchar) as store_id,
        cast(location_id as varchar) as location_id,
        cast(inventory_item_id as varchar) as inventory_item_id,
        cast(sku as varchar) as sku_raw,
        {{ normalize_sku('sku') }} as sku,
        cast(available as integer) as available,
        cast(on_hand as integer) as on_hand,
        cast(committed as integer) as committed,
        cast(reserved as integer) as reserved,
        cast(incoming as integer) as incoming,
        cast(null as integer) as damaged,
        cast(null as integer) as quality_control,
        cast(null as integer) as safety_stock,
        cast(updated_at as timestamp) as updated_at,
        cast(synced_at as timestamp) as synced_at,
        _sdc_extracted_at,
        _sdc_batched_at

    from source

),

{{ stage_rows(
    'renamed', '__channel__', 'inventory_levels', ['store_id', 'location_id', 'inventory_item_id'], 'inventory_level_sk'
) }}
