with

source as (

    select * from {{ source('magento', 'locations') }}

),

renamed as (

    select
        cast(store_id as varchar) as store_id,
        cast(location_id as varchar) as location_id,
        cast(name as varchar) as location_name,
        cast(description as varchar) as location_description,
        cast(country_id as varchar) as country_code,
        cast(region as varchar) as region,
        cast(city as varchar) as city,
        cast(postcode as varchar) as postcode,
        cast(is_active as boolean) as is_active,
        -- Magento sources have no such flag; stocks decide which sales channels a source serves
        cast(null as boolean) as fulfills_online_orders,
        cast(updated_at as timestamp) as updated_at,
        cast(synced_at as timestamp) as synced_at,
        _sdc_extracted_at,
        _sdc_batched_at

    from source

),

{{ stage_rows('renamed', 'magento', 'locations', ['store_id', 'location_id']) }}
