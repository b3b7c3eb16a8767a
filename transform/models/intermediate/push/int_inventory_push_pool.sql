{{ config(
    materialized='incremental',
    incremental_strategy='append',
    post_hook="delete from {{ this }} where built_at < (select max(kept.built_at) from {{ this }} as kept)
               or '{{ push_mode() }}' != 'pooled'",
) }}
-- The pooled mode's ledger (setting push_mode = pooled): one row per sellable level of every build, the last build
-- kept. No system holds the stock, so the plan remembers it: per SKU, the pool is the previous build's pool, minus
-- every unit sold on any channel since, plus every unit received at the receiving location
-- (push_receiving_location). A level's baseline is what it should show if nothing was sold: the quantity our push
-- set there (push_log: applied for the previous build's plan) plus what sold between the previous build's
-- observation and that write (a write resent on a fresh read compares against a number below the observation:
-- the difference is a sale), else the quantity the previous build trusted. A level showing less than its baseline
-- sold the difference; more, at the receiving location, received it.
-- An observation within the channel's settle time after our own write there (settling) may not show that write
-- yet. It counts the sale both readings allow (what it shows below the previous observation and below the
-- baseline alike), receives nothing, and carries the baseline less that sale; the rest of a sale is counted once
-- the level has settled. Counting nothing kept a BigCommerce level's sales out of the pool for the pass after each
-- write, while the other channels offered those units again.
-- A SKU the ledger has not seen starts at the least any channel store shows (never more than any channel could
-- sell). The pool may go below zero (units sold that no stock covers): restocks fill that first. In
-- system_of_record mode the ledger is empty, so switching to pooled starts from that safe start again.
{%- set pooled = push_mode() == 'pooled' %}

with

levels as (

    select * from {{ ref('int_inventory_push_levels') }}
    {% if not pooled -%}
        where 1 = 0
    {%- endif %}

),

previous as (

    {% if is_incremental() -%}
        select * from {{ this }}
        where built_at = (select max(latest.built_at) from {{ this }} as latest)
    {%- else -%}
        select
            cast(null as {{ dbt.type_string() }}) as plan_id,
            cast(null as {{ dbt.type_string() }}) as channel,
            cast(null as {{ dbt.type_string() }}) as store_id,
            cast(null as {{ dbt.type_string() }}) as location_id,
            cast(null as {{ dbt.type_string() }}) as inventory_item_id,
            cast(null as {{ dbt.type_string() }}) as sku,
            cast(null as integer) as observed_quantity,
            cast(null as integer) as trusted_quantity,
            cast(null as integer) as pool_quantity
        where 1 = 0
    {%- endif %}

),

previous_pools as (

    select
        sku,
        max(pool_quantity) as pool_quantity

    from previous
    group by sku

),

previous_plans as (

    select distinct plan_id from previous

),

pushed as (

    -- what the push set at each level for the previous build's plan (its last applied write there)
    select
        push_log.channel,
        push_log.store_id,
        push_log.location_id,
        push_log.sku as listed_sku,
        push_log.from_quantity,
        push_log.to_quantity,
        row_number() over (
            partition by push_log.channel, push_log.store_id, push_log.location_id, push_log.sku
            order by push_log.recorded_at desc
        ) as write_desc

    from {{ ref('stg_push__push_log') }} as push_log
    inner join previous_plans
        on push_log.plan_id = previous_plans.plan_id
    where push_log.result = 'applied' and not push_log.is_dry_run

),

compared as (

    select
        levels.plan_id,
        levels.channel,
        levels.store_id,
        levels.location_id,
        levels.inventory_item_id,
        levels.sku,
        levels.observed_quantity,
        levels.is_settling,
        levels.is_receiving,
        previous.observed_quantity as previous_observed_quantity,
        coalesce(
            pushed.to_quantity + coalesce(previous.observed_quantity - pushed.from_quantity, 0),
            previous.trusted_quantity
        ) as baseline_quantity

    from levels
    left join previous
        on
            levels.channel = previous.channel
            and levels.store_id = previous.store_id
            and levels.location_id = previous.location_id
            and levels.inventory_item_id = previous.inventory_item_id
    left join pushed
        on
            levels.channel = pushed.channel
            and levels.store_id = pushed.store_id
            and levels.location_id = pushed.location_id
            and levels.listed_sku = pushed.listed_sku
            and pushed.write_desc = 1

),

sold as (

    -- while settling, the read may show the level before our write (the previous observation less what sold) or
    -- after it (the baseline less what sold): the sale counted is the smaller of the two
    select
        *,
        case
            when baseline_quantity is null then 0
            when is_settling
                then
                    greatest(
                        least(coalesce(previous_observed_quantity, baseline_quantity), baseline_quantity)
                        - observed_quantity,
                        0
                    )
            else greatest(baseline_quantity - observed_quantity, 0)
        end as sold_units

    from compared

),

counted as (

    select
        *,
        case
            when baseline_quantity is null or is_settling or not is_receiving then 0
            else greatest(observed_quantity - baseline_quantity, 0)
        end as received_units,
        case
            when is_settling and baseline_quantity is not null then baseline_quantity - sold_units
            else observed_quantity
        end as trusted_quantity

    from sold

),

channel_stores as (

    select
        sku,
        channel,
        store_id,
        sum(observed_quantity) as shown_quantity

    from counted
    group by sku, channel, store_id

),

pools as (

    select
        counted.sku,
        sum(counted.sold_units) as sold_units,
        sum(counted.received_units) as received_units,
        max(previous_pools.pool_quantity) as previous_pool_quantity,
        max(previous_pools.pool_quantity) - sum(counted.sold_units) + sum(counted.received_units) as carried_quantity

    from counted
    left join previous_pools
        on counted.sku = previous_pools.sku
    group by counted.sku

),

starts as (

    select
        sku,
        min(shown_quantity) as start_quantity

    from channel_stores
    group by sku

),

final as (

    select
        counted.plan_id,
        '{{ invocation_id }}' as build_id,
        {{ utc_now() }} as built_at,
        counted.channel,
        counted.store_id,
        counted.location_id,
        counted.inventory_item_id,
        counted.sku,
        counted.observed_quantity,
        counted.baseline_quantity,
        counted.sold_units,
        counted.received_units,
        counted.trusted_quantity,
        pools.previous_pool_quantity,
        cast(coalesce(pools.carried_quantity, starts.start_quantity) as integer) as pool_quantity

    from counted
    inner join pools
        on counted.sku = pools.sku
    inner join starts
        on counted.sku = starts.sku

)

select * from final
