-- Demand per channel store x location x SKU and UTC day, from the observed stock movements (the input of the
-- demand forecast; docs/forecasting.md). Between two observations of a level, the change in `available` net of
-- what our own push wrote there in between (int_inventory_level_moves) is a sale when it is a decrease and a
-- restock when it is an increase; a push is neither. A day is observed when the channel store finished a levels
-- sync that day (or a change of the series was seen that day); a day without an observation is a gap, not a day
-- without demand: `is_observed` is false and `units_demanded` null. What left during a gap shows up in the
-- decrease seen at the next observation (the forecast spreads it over the gap). Only complete days: the day of
-- `forecast_as_of` (now) is left out.
with

changes as (

    select * from {{ ref('int_inventory_level_moves') }}
    where sku is not null

),

sync_runs as (

    {{ union_channels('sync_runs', ['store_id', 'stream_name', 'run_started_at', 'finished_at']) }}

),

observed_store_days as (

    -- a finished levels sync saw every level of its channel store that day
    select distinct
        channel,
        store_id,
        cast(run_started_at as date) as demand_date

    from sync_runs
    where stream_name = 'inventory_levels' and finished_at is not null

),

daily_moves as (

    select
        channel,
        store_id,
        location_id,
        sku,
        cast(observed_at as date) as demand_date,
        sum(case when net_available_change < 0 then 0 - net_available_change else 0 end) as units_demanded,
        sum(case when net_available_change > 0 then net_available_change else 0 end) as units_restocked,
        sum(units_pushed) as units_pushed

    from changes
    where available_change is not null  -- a level's first version moved nothing
    group by channel, store_id, location_id, sku, cast(observed_at as date)

),

seen_days as (

    -- every version, including a level's first, is an observation of its series that day
    select distinct
        channel,
        store_id,
        location_id,
        sku,
        cast(observed_at as date) as demand_date

    from changes

),

lifetimes as (

    -- a series starts with the first version of one of its levels and ends when its last level was removed
    select
        channel,
        store_id,
        location_id,
        sku,
        min(cast(observed_at as date)) as first_day,
        case
            when max(case when is_current then 1 else 0 end) = 0 then max(cast(dbt_valid_to as date))
        end as last_day

    from changes
    group by channel, store_id, location_id, sku

),

calendar as (

    select demand_date from observed_store_days
    union
    select demand_date from seen_days

),

series_days as (

    select
        lifetimes.channel,
        lifetimes.store_id,
        lifetimes.location_id,
        lifetimes.sku,
        calendar.demand_date

    from lifetimes
    inner join calendar
        on
            lifetimes.first_day <= calendar.demand_date
            and (lifetimes.last_day is null or lifetimes.last_day >= calendar.demand_date)
    where calendar.demand_date < cast({{ mart_as_of() }} as date)

),

final as (

    select
        series_days.channel,
        series_days.store_id,
        series_days.location_id,
        series_days.sku,
        series_days.demand_date,
        (observed_store_days.demand_date is not null or seen_days.demand_date is not null) as is_observed,
        case
            when observed_store_days.demand_date is not null or seen_days.demand_date is not null
                then cast(coalesce(daily_moves.units_demanded, 0) as {{ dbt.type_float() }})
        end as units_demanded,
        cast(coalesce(daily_moves.units_restocked, 0) as {{ dbt.type_float() }}) as units_restocked,
        cast(coalesce(daily_moves.units_pushed, 0) as {{ dbt.type_float() }}) as units_pushed

    from series_days
    left join observed_store_days
        on
            series_days.channel = observed_store_days.channel
            and series_days.store_id = observed_store_days.store_id
            and series_days.demand_date = observed_store_days.demand_date
    left join seen_days
        on
            series_days.channel = seen_days.channel
            and series_days.store_id = seen_days.store_id
            and series_days.location_id = seen_days.location_id
            and series_days.sku = seen_days.sku
            and series_days.demand_date = seen_days.demand_date
    left join daily_moves
        on
            series_days.channel = daily_moves.channel
            and series_days.store_id = daily_moves.store_id
            and series_days.location_id = daily_moves.location_id
            and series_days.sku = daily_moves.sku
            and series_days.demand_date = daily_moves.demand_date

)

select * from final
