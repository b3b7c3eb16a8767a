{{ config(materialized='incremental') }}
-- One row per sync the mart has seen (period_start = the latest synced_at of the levels), appended by each
-- dbt run that sees a newer sync: how many SKUs were compared with the system of record and how many agreed
-- on every channel. A run without a new sync adds nothing.
with

discrepancies as (

    select * from {{ ref('fct_inventory_discrepancies') }}

),

levels as (

    select * from {{ ref('fct_inventory_levels') }}

),

latest_sync as (

    select max(synced_at) as period_start from levels

),

per_sku as (

    select
        sku,
        max(case when is_discrepancy then 1 else 0 end) as has_discrepancy

    from discrepancies
    group by sku

),

counted as (

    select
        latest_sync.period_start,
        count(per_sku.sku) as skus_compared,
        coalesce(sum(1 - per_sku.has_discrepancy), 0) as skus_accurate

    from latest_sync
    left join per_sku
        on 1 = 1
    group by latest_sync.period_start

),

final as (

    select * from counted
    where
        period_start is not null
        {% if is_incremental() %}
            and period_start > (
                select coalesce(max(previous.period_start), cast('1970-01-01' as {{ dbt.type_timestamp() }}))
                from {{ this }} as previous
            )
        {% endif %}

)

select * from final
