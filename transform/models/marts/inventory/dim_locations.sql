with

locations as (

    select * from {{ ref('int_locations_unioned') }}

),

final as (

    select
        location_sk,
        channel,
        store_id,
        location_id,
        location_name,
        is_active,
        fulfills_online_orders,
        is_deleted,
        updated_at,
        synced_at

    from locations

)

select * from final
