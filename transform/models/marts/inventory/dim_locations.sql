with

locations as (

    select * from {{ ref('stg_shopify__locations') }}

),

final as (

    select
        {{ surrogate_key(['store_id', 'location_id']) }} as location_sk,
        store_id,
        location_id,
        location_gid,
        location_name,
        is_active,
        fulfills_online_orders,
        is_deleted,
        updated_at,
        synced_at

    from locations

)

select * from final
