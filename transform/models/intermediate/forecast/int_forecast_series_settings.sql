-- Per-series overrides of the forecast settings (service level, lead time, review period, order cover), from the
-- seed forecast_sku_settings (one row per SKU, a null or empty value takes the setting) and applied to every
-- series of that SKU.
with

history as (

    select distinct
        channel,
        store_id,
        location_id,
        sku

    from {{ ref('fct_demand_history') }}

),

overrides as (

    select * from {{ ref('forecast_sku_settings') }}

),

final as (

    select
        history.channel,
        history.store_id,
        history.location_id,
        history.sku,
        cast(overrides.service_level as {{ dbt.type_float() }}) as service_level,
        cast(overrides.lead_time_days as integer) as lead_time_days,
        cast(overrides.review_period_days as integer) as review_period_days,
        cast(overrides.order_cover_days as integer) as order_cover_days

    from history
    inner join overrides
        on history.sku = {{ normalize_sku('overrides.sku') }}

)

select * from final
