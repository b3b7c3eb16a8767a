with

source as (

    select * from {{ source('shopify', 'inventory_items') }}

),

full_snapshots as (

    select
        store_id,
        max(run_started_at) as last_full_snapshot_at
    from {{ source('shopify', 'sync_runs') }}
    where stream_name = 'inventory_items' and is_full_snapshot
    group by store_id

),

renamed as (

    select
        cast(store_id as varchar) as store_id,
        cast(inventory_item_id as varchar) as inventory_item_id,
        cast(product_id as varchar) as product_id,
        cast(variant_id as varchar) as variant_id,
        cast(inventory_item_gid as varchar) as inventory_item_gid,
        cast(sku as varchar) as sku,
        cast(is_tracked as boolean) as is_tracked,
        lower(cast(oversell_policy as varchar)) as oversell_policy,
        cast(unit_cost as decimal(18, 4)) as unit_cost,
        upper(cast(currency as varchar)) as currency,
        cast(created_at as timestamp) as created_at,
        cast(updated_at as timestamp) as updated_at,
        cast(synced_at as timestamp) as synced_at,
        _sdc_extracted_at,
        _sdc_batched_at

    from source

),

deduplicated as (

    select * from renamed
    qualify row_number() over (
        partition by store_id, inventory_item_id
        order by synced_at desc nulls last, updated_at desc nulls last, _sdc_batched_at desc nulls last
    ) = 1

),

final as (

    select
        deduplicated.store_id,
        deduplicated.inventory_item_id,
        deduplicated.product_id,
        deduplicated.variant_id,
        deduplicated.inventory_item_gid,
        deduplicated.sku,
        deduplicated.is_tracked,
        deduplicated.oversell_policy,
        coalesce(deduplicated.synced_at < full_snapshots.last_full_snapshot_at, false) as is_deleted,
        deduplicated.unit_cost,
        deduplicated.currency,
        deduplicated.created_at,
        deduplicated.updated_at,
        deduplicated.synced_at,
        deduplicated._sdc_extracted_at,
        deduplicated._sdc_batched_at

    from deduplicated
    left join full_snapshots
        on deduplicated.store_id = full_snapshots.store_id

)

select * from final
