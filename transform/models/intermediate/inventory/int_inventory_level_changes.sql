-- Every version of every level from the snapshot, with the quantities of the version before it: the
-- history that velocity, anomalies, daily levels and stock aging read. `observed_at` is the sync that saw
-- the version (synced_at, UTC); the first version of a level has null previous quantities.
with

snapshot_rows as (

    select * from {{ ref('snap_inventory_levels') }}

),

final as (

    select
        {{ surrogate_key(['inventory_level_sk', 'dbt_valid_from']) }} as level_version_sk,
        inventory_level_sk,
        location_sk,
        inventory_item_sk,
        channel,
        store_id,
        location_id,
        inventory_item_id,
        sku,
        available,
        on_hand,
        synced_at as observed_at,
        lag(available) over (partition by inventory_level_sk order by dbt_valid_from) as previous_available,
        lag(on_hand) over (partition by inventory_level_sk order by dbt_valid_from) as previous_on_hand,
        available - lag(available) over (partition by inventory_level_sk order by dbt_valid_from)
            as available_change,
        on_hand - lag(on_hand) over (partition by inventory_level_sk order by dbt_valid_from) as on_hand_change,
        lead(synced_at) over (partition by inventory_level_sk order by dbt_valid_from) as next_observed_at,
        dbt_valid_to is null as is_current,
        dbt_valid_from,
        dbt_valid_to

    from snapshot_rows

)

select * from final
