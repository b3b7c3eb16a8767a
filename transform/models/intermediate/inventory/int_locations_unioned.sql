with

unioned as (

    {{ union_channels('locations', [
        'store_id', 'location_id', 'location_name', 'is_active', 'fulfills_online_orders',
        'is_deleted', 'updated_at', 'synced_at',
    ]) }}

),

final as (

    select
        {{ surrogate_key(['channel', 'store_id', 'location_id']) }} as location_sk,
        *
    from unioned

)

select * from final
