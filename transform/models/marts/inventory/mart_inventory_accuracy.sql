-- Inventory accuracy, the share of compared SKUs on which every channel agrees with the system of record:
-- one row per sync (grain 'run') and one per UTC day (grain 'day', the day's last sync). Target: above 0.99.
with

runs as (

    select * from {{ ref('int_inventory_accuracy_runs') }}

),

last_run_of_day as (

    select
        *,
        row_number() over (
            partition by {{ dbt.date_trunc('day', 'period_start') }}
            order by period_start desc
        ) as run_of_day_desc

    from runs

),

unioned as (

    select
        'run' as grain,
        period_start,
        skus_compared,
        skus_accurate

    from runs

    union all

    select
        'day' as grain,
        {{ dbt.date_trunc('day', 'period_start') }} as period_start,
        skus_compared,
        skus_accurate

    from last_run_of_day
    where run_of_day_desc = 1

),

final as (

    select
        grain,
        cast(period_start as {{ dbt.type_timestamp() }}) as period_start,
        skus_compared,
        skus_accurate,
        case
            when skus_compared > 0 then 1.0 * skus_accurate / skus_compared
        end as accuracy

    from unioned

)

select * from final
