-- Levels that need a look, one row per finding:
--   abnormal_change         a level's available quantity moved by more than setting anomaly_k times its mean
--                           absolute move over its previous anomaly_window moves (at least 1 unit), once it has
--                           at least anomaly_min_history earlier moves
--   negative_stock          available or on hand below zero now
--   tracked_without_levels  an item that tracks stock (and can hold it) but is stocked at no location
with

changes as (

    select * from {{ ref('int_inventory_level_changes') }}
    where previous_available is not null

),

levels as (

    select * from {{ ref('fct_inventory_levels') }}

),

items as (

    select * from {{ ref('int_inventory_items_unioned') }}

),

with_history as (

    select
        *,
        avg(abs(available_change)) over (
            partition by inventory_level_sk order by dbt_valid_from
            rows between {{ mart_setting('anomaly_window') }} preceding and 1 preceding
        ) as mean_abs_change,
        count(available_change) over (
            partition by inventory_level_sk order by dbt_valid_from
            rows between {{ mart_setting('anomaly_window') }} preceding and 1 preceding
        ) as history_count

    from changes

),

abnormal_change as (

    select
        channel,
        store_id,
        location_id,
        inventory_item_id,
        sku,
        'abnormal_change' as anomaly_type,
        observed_at,
        available as quantity,
        previous_available as previous_quantity,
        {{ dbt.concat([
            "'change '", "cast(available_change as " ~ dbt.type_string() ~ ")",
            "' against a mean absolute change of '",
            "cast(round(cast(mean_abs_change as " ~ dbt.type_numeric() ~ "), 2) as " ~ dbt.type_string() ~ ")",
            "' over '", "cast(history_count as " ~ dbt.type_string() ~ ")", "' changes'",
        ]) }} as detail

    from with_history
    where
        history_count >= {{ mart_setting('anomaly_min_history') }}
        and abs(available_change) > {{ mart_setting('anomaly_k') }} * (
            case when mean_abs_change > 1 then mean_abs_change else 1 end
        )

),

negative_stock as (

    select
        channel,
        store_id,
        location_id,
        inventory_item_id,
        sku,
        'negative_stock' as anomaly_type,
        synced_at as observed_at,
        available as quantity,
        cast(null as integer) as previous_quantity,
        {{ dbt.concat([
            "'available '", "cast(available as " ~ dbt.type_string() ~ ")",
            "', on hand '", "coalesce(cast(on_hand as " ~ dbt.type_string() ~ "), 'unknown')",
        ]) }} as detail

    from levels
    where available < 0 or on_hand < 0

),

tracked_without_levels as (

    select
        items.channel,
        items.store_id,
        cast(null as {{ dbt.type_string() }}) as location_id,
        items.inventory_item_id,
        items.sku,
        'tracked_without_levels' as anomaly_type,
        items.synced_at as observed_at,
        cast(null as integer) as quantity,
        cast(null as integer) as previous_quantity,
        'tracks stock but is stocked at no location' as detail

    from items
    where
        items.is_tracked
        and items.holds_stock
        and not items.is_deleted
        and not exists (
            select 1 from levels
            where levels.inventory_item_sk = items.inventory_item_sk
        )

),

unioned as (

    select * from abnormal_change
    union all
    select * from negative_stock
    union all
    select * from tracked_without_levels

),

final as (

    select
        {{ surrogate_key(['anomaly_type', 'channel', 'store_id', 'location_id', 'inventory_item_id', 'observed_at']) }}
            as anomaly_sk,
        *

    from unioned

)

select * from final
