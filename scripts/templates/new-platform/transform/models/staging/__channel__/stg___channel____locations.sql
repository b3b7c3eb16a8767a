with

source as (

    select * from {{ source('__channel__', 'locations') }}

),

renamed as (

    select
        cast(store_id as varchar) as store_id,
        cast(location_id as varchar) as location_id,
        cast(name as varchar) as location_name,
        cast(is_active as boolean) as is_active,
        cast(fulfills_online_orders as boolean) as fulfills_online_orders,
        cast(updated_at as timestamp) as updated_at,
        cast(synced_at as timestamp) as synced_at,
        _sdc_extracted_at,
        _sdc_batched_at

    from source

),

{{ stage_rows('renamed', '__channel__', 'locations', ['store_id', 'location_id']) }}
