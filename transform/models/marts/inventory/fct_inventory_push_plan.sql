-- The push plan (utilities/inventory-push/README.md, "The plan"): per channel store x sellable location x SKU, the
-- quantity the channel should show and the one last observed there. One build at a time, named by `plan_id`.
--
-- What a channel store should show of a SKU (`target_quantity`), by setting push_mode:
--   system_of_record  the record's sellable quantity (record_channel, record_store_id), on every other channel store
--   pooled            the SKU's pool (int_inventory_push_pool), on every channel store
-- minus the channel's buffer, never below 0: push_buffer (units, or a percent rounded up) plus the SKU's demand
-- buffer (int_inventory_push_demand: what it sells everywhere in push_demand_minutes; 0 while that is 0).
-- Spread over locations: one push location per channel store and SKU (push_locations names it per channel, else the
-- lowest location id, as text, among the SKU's sellable levels) holds the target minus what the channel's other
-- sellable locations show, never below 0. The others, by setting push_other_locations: `leave` (default) keeps them
-- as they are (planned = observed); `lower`, when they alone show more than the target, takes the excess from them,
-- the largest first (ties: lowest location id), never raising one, so the channel store shows the target in all.
-- An action (observed != planned) is held back, with `hold_reason`, when no sellable location stocks the SKU, several
-- items share it, the source of the target is missing, the level's data is stale or from an unfinished sync, or we
-- wrote the level within the settling window; in pooled mode also when another channel store's data for the SKU is.
{%- set mode = push_mode() %}
{%- set other_locations = push_other_locations() %}
{#- the same inputs give the same id, so a rebuilt plan that changes nothing is recognised as already pushed -#}
{%- set row_key = surrogate_key(['held.channel', 'held.store_id', 'held.location_id', 'held.listed_sku',
                                 'held.observed_sync_run', 'held.observed_quantity', 'held.planned_quantity']) %}

with

levels as (

    select * from {{ ref('int_inventory_push_levels') }}

),

pool as (

    select * from {{ ref('int_inventory_push_pool') }}

),

demand as (

    select * from {{ ref('int_inventory_push_demand') }}

),

items as (

    select * from {{ ref('int_inventory_items_unioned') }}
    where not is_deleted and is_tracked and holds_stock and sku is not null

),

availability as (

    select * from {{ ref('fct_sku_channel_availability') }}

),

system_of_record as (

    select * from {{ ref('mart_system_of_record') }}

),

build as (

    select distinct plan_id from levels

),

record_quantities as (

    select
        availability.sku,
        availability.sellable_quantity as record_quantity

    from availability
    inner join system_of_record
        on
            availability.channel = system_of_record.record_channel
            and availability.store_id = system_of_record.record_store_id
            and system_of_record.status = 'ok'

),

record_sync as (

    select
        max(levels.last_complete_run_at) as record_synced_at,
        max(case when levels.is_incomplete then 1 else 0 end) = 0 as record_sync_complete

    from levels
    inner join system_of_record
        on levels.channel = system_of_record.record_channel and levels.store_id = system_of_record.record_store_id

),

pools as (

    select distinct
        sku,
        pool_quantity

    from pool

),

channel_skus as (

    -- every channel store x SKU it lists; in system_of_record mode the record itself is never written
    select
        items.channel,
        items.store_id,
        items.sku,
        count(distinct items.inventory_item_id) as item_count

    from items
    left join system_of_record
        on items.channel = system_of_record.record_channel and items.store_id = system_of_record.record_store_id
    where '{{ mode }}' = 'pooled' or system_of_record.record_channel is null
    group by items.channel, items.store_id, items.sku

),

sources as (

    select
        channel_skus.*,
        case
            when '{{ mode }}' = 'pooled' then pools.pool_quantity else record_quantities.record_quantity
        end as source_quantity,
        coalesce(demand.demand_units, 0) as demand_units

    from channel_skus
    left join record_quantities
        on channel_skus.sku = record_quantities.sku
    left join pools
        on channel_skus.sku = pools.sku
    left join demand
        on channel_skus.sku = demand.sku

),

buffered as (

    select
        *,
        {{ push_buffer_units('channel', 'source_quantity') }} + demand_units as buffer_units

    from sources

),

targets as (

    select
        *,
        case
            when source_quantity is not null then greatest(source_quantity - buffer_units, 0)
        end as target_quantity

    from buffered

),

ranked_levels as (

    select
        *,
        row_number() over (
            partition by channel, store_id, sku
            order by
                case when {{ push_location_is_chosen('channel', 'location_id') }} then 0 else 1 end,
                location_id,
                inventory_item_id
        ) as location_rank,
        sum(observed_quantity) over (partition by channel, store_id, sku) as shown_quantity,
        max(case when is_stale or is_incomplete then 1 else 0 end) over (partition by sku) as sku_data_unsure

    from levels

),

placed as (

    select
        targets.channel,
        targets.store_id,
        ranked_levels.location_id,
        targets.sku,
        coalesce(ranked_levels.listed_sku, targets.sku) as listed_sku,
        ranked_levels.inventory_item_id,
        ranked_levels.variant_id,
        ranked_levels.product_id,
        ranked_levels.inventory_tracking,
        ranked_levels.safety_stock,
        coalesce(ranked_levels.observed_quantity, 0) as observed_quantity,
        ranked_levels.observed_at,
        ranked_levels.observed_sync_run,
        ranked_levels.observed_by,
        targets.item_count,
        targets.source_quantity,
        targets.buffer_units,
        targets.demand_units,
        targets.target_quantity,
        coalesce(ranked_levels.location_rank = 1, true) as is_push_location,
        coalesce(ranked_levels.shown_quantity - ranked_levels.observed_quantity, 0) as shown_elsewhere_quantity,
        coalesce(ranked_levels.is_stale, false) as is_stale,
        coalesce(ranked_levels.is_incomplete, false) as is_incomplete,
        coalesce(ranked_levels.is_settling, false) as is_settling,
        ranked_levels.last_complete_run_at,
        ranked_levels.last_write_at,
        coalesce(ranked_levels.sku_data_unsure, 0) = 1 as sku_data_unsure

    from targets
    left join ranked_levels
        on
            targets.channel = ranked_levels.channel
            and targets.store_id = ranked_levels.store_id
            and targets.sku = ranked_levels.sku

),

spread as (

    -- what the other locations show in all, and what those lowered before this one show (the larger ones first)
    select
        *,
        sum(case when is_push_location then 0 else observed_quantity end) over (
            partition by channel, store_id, sku
        ) as others_quantity,
        coalesce(sum(case when is_push_location then 0 else greatest(observed_quantity, 0) end) over (
            partition by channel, store_id, sku
            order by observed_quantity desc, location_id asc, inventory_item_id asc
            rows between unbounded preceding and 1 preceding
        ), 0) as larger_others_quantity

    from placed

),

planned as (

    select
        *,
        case
            when target_quantity is null then observed_quantity
            when is_push_location then greatest(target_quantity - shown_elsewhere_quantity, 0)
            {%- if other_locations == 'lower' %}
                when others_quantity > target_quantity
                    then observed_quantity - greatest(least(
                        greatest(observed_quantity, 0),
                        others_quantity - target_quantity - larger_others_quantity
                    ), 0)
            {%- endif %}
            else observed_quantity
        end as planned_quantity

    from spread

),

held as (

    select
        *,
        observed_quantity != planned_quantity as is_action,
        case
            when observed_quantity = planned_quantity then null
            when location_id is null then 'no sellable location of this channel store stocks the SKU'
            when item_count > 1 then {{ dbt.concat(["cast(item_count as " ~ dbt.type_string() ~ ")",
                                                    "' items share this SKU here'"]) }}
            when is_stale then {{ dbt.concat([
                "'stale: no complete levels sync of this channel store since '",
                "coalesce(cast(last_complete_run_at as " ~ dbt.type_string() ~ "), 'ever')"]) }}
            when is_incomplete then 'incomplete: observed by a sync run that did not finish'
            when is_settling then {{ dbt.concat([
                "'settling: observed at '", "cast(observed_at as " ~ dbt.type_string() ~ ")",
                "', before our write at '", "cast(last_write_at as " ~ dbt.type_string() ~ ")", "' had settled'"]) }}
            when '{{ mode }}' = 'pooled' and sku_data_unsure
                then 'pooled: another channel store''s data for this SKU is stale or incomplete'
        end as hold_reason

    from planned

),

final as (

    select
        build.plan_id,
        {{ row_key }} as plan_row_id,
        '{{ mode }}' as mode,  -- noqa: RF04
        held.channel,
        held.store_id,
        held.location_id,
        held.listed_sku as sku,
        held.sku as normalized_sku,
        held.inventory_item_id,
        held.variant_id,
        held.product_id,
        held.inventory_tracking,
        cast(held.safety_stock as integer) as safety_stock,
        case when held.channel = 'magento' then held.location_id end as source_code,
        cast(held.observed_quantity as integer) as observed_quantity,
        held.observed_at,
        held.observed_sync_run,
        held.observed_by,
        cast(held.planned_quantity as integer) as planned_quantity,
        held.is_action,
        held.hold_reason,
        held.is_push_location,
        cast(held.source_quantity as integer) as source_quantity,
        held.buffer_units,
        held.demand_units,
        cast(held.target_quantity as integer) as target_quantity,
        cast(held.shown_elsewhere_quantity as integer) as shown_elsewhere_quantity,
        case when '{{ mode }}' = 'system_of_record' then record_sync.record_synced_at end as record_synced_at,
        case when '{{ mode }}' = 'system_of_record' then record_sync.record_sync_complete end as record_sync_complete

    from held
    cross join build
    cross join record_sync

)

select * from final
