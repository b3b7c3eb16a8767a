with

source as (

    select * from {{ source('bigcommerce', 'locations') }}

),

renamed as (

    select
        cast(store_id as varchar) as store_id,
        cast(location_id as varchar) as location_id,
        cast(location_code as varchar) as location_code,
        cast(name as varchar) as location_name,
        cast(location_type as varchar) as location_type,
        cast(time_zone as varchar) as time_zone,
        cast(city as varchar) as city,
        cast(state as varchar) as state,
        cast(country_code as varchar) as country_code,
        cast(is_active as boolean) as is_active,
        cast(is_default as boolean) as is_default,
        cast(null as boolean) as fulfills_online_orders,
        cast(created_at as timestamp) as created_at,
        cast(updated_at as timestamp) as updated_at,
        cast(synced_at as timestamp) as synced_at,
        _sdc_extracted_at,
        _sdc_batched_at

    from source

),

{{ stage_rows('renamed', 'bigcommerce', 'locations', ['store_id', 'location_id']) }}
