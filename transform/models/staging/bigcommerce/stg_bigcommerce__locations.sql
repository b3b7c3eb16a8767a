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

deduplicated as (

    {{ latest_row_per_key('renamed', ['store_id', 'location_id']) }}

),

flagged as (

    {{ flag_vanished_rows('deduplicated', source('bigcommerce', 'sync_runs'), 'locations') }}

),

final as (

    select
        flagged.store_id,
        flagged.location_id,
        flagged.location_code,
        flagged.location_name,
        flagged.location_type,
        flagged.time_zone,
        flagged.city,
        flagged.state,
        flagged.country_code,
        flagged.is_active,
        flagged.is_default,
        flagged.fulfills_online_orders,
        flagged.is_deleted,
        flagged.created_at,
        flagged.updated_at,
        flagged.synced_at,
        flagged._sdc_extracted_at,
        flagged._sdc_batched_at

    from flagged

)

select * from final
