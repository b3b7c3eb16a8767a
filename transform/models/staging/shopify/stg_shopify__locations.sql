with

source as (

    select * from {{ source('shopify', 'locations') }}

),

full_snapshots as (

    select
        store_id,
        max(run_started_at) as last_full_snapshot_at
    from {{ source('shopify', 'sync_runs') }}
    where stream_name = 'locations' and is_full_snapshot
    group by store_id

),

renamed as (

    select
        cast(store_id as varchar) as store_id,
        cast(location_id as varchar) as location_id,
        cast(location_gid as varchar) as location_gid,
        cast(name as varchar) as location_name,
        cast(is_active as boolean) as is_active,
        cast(fulfills_online_orders as boolean) as fulfills_online_orders,
        cast(updated_at as timestamp) as updated_at,
        cast(synced_at as timestamp) as synced_at,
        _sdc_extracted_at,
        _sdc_batched_at

    from source

),

deduplicated as (

    select * from renamed
    qualify row_number() over (
        partition by store_id, location_id
        order by synced_at desc nulls last, updated_at desc nulls last, _sdc_batched_at desc nulls last
    ) = 1

),

final as (

    select
        deduplicated.store_id,
        deduplicated.location_id,
        deduplicated.location_gid,
        deduplicated.location_name,
        deduplicated.is_active,
        deduplicated.fulfills_online_orders,
        coalesce(deduplicated.synced_at < full_snapshots.last_full_snapshot_at, false) as is_deleted,
        deduplicated.updated_at,
        deduplicated.synced_at,
        deduplicated._sdc_extracted_at,
        deduplicated._sdc_batched_at

    from deduplicated
    left join full_snapshots
        on deduplicated.store_id = full_snapshots.store_id

)

select * from final
