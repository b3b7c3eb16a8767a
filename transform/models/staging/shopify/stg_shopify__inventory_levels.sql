with

source as (

    select * from {{ source('shopify', 'inventory_levels') }}

),

full_snapshots as (

    select
        store_id,
        max(run_started_at) as last_full_snapshot_at
    from {{ source('shopify', 'sync_runs') }}
    where stream_name = 'inventory_levels' and is_full_snapshot
    group by store_id

),

renamed as (

    select
        cast(store_id as varchar) as store_id,
        cast(location_id as varchar) as location_id,
        cast(inventory_item_id as varchar) as inventory_item_id,
        cast(sku as varchar) as sku,
        cast(available as integer) as available,
        cast(on_hand as integer) as on_hand,
        cast(committed as integer) as committed,
        cast(reserved as integer) as reserved,
        cast(incoming as integer) as incoming,
        cast(damaged as integer) as damaged,
        cast(quality_control as integer) as quality_control,
        cast(safety_stock as integer) as safety_stock,
        cast(updated_at as timestamp) as updated_at,
        cast(synced_at as timestamp) as synced_at,
        _sdc_extracted_at,
        _sdc_batched_at

    from source

),

deduplicated as (

    select * from renamed
    qualify row_number() over (
        partition by store_id, location_id, inventory_item_id
        order by synced_at desc nulls last, updated_at desc nulls last, _sdc_batched_at desc nulls last
    ) = 1

),

final as (

    select
        {{ surrogate_key(['deduplicated.store_id', 'deduplicated.location_id', 'deduplicated.inventory_item_id']) }}
            as inventory_level_sk,
        deduplicated.store_id,
        deduplicated.location_id,
        deduplicated.inventory_item_id,
        deduplicated.sku,
        coalesce(deduplicated.synced_at < full_snapshots.last_full_snapshot_at, false) as is_deleted,
        deduplicated.available,
        deduplicated.on_hand,
        deduplicated.committed,
        deduplicated.reserved,
        deduplicated.incoming,
        deduplicated.damaged,
        deduplicated.quality_control,
        deduplicated.safety_stock,
        deduplicated.updated_at,
        deduplicated.synced_at,
        deduplicated._sdc_extracted_at,
        deduplicated._sdc_batched_at

    from deduplicated
    left join full_snapshots
        on deduplicated.store_id = full_snapshots.store_id

)

select * from final
