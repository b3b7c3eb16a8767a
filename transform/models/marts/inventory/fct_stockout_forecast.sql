-- Per SKU x channel store: sales velocity (units depleted per day over the trailing setting
-- velocity_window_days, at the locations that sell online; restocks, i.e. increases, are ignored), days of
-- cover at that pace and the projected stock-out date (null without depletion).
with

availability as (

    select * from {{ ref('fct_sku_channel_availability') }}

),

changes as (

    select * from {{ ref('int_inventory_level_changes') }}

),

locations as (

    select * from {{ ref('dim_locations') }}

),

in_window as (

    select
        changes.sku,
        changes.channel,
        changes.store_id,
        changes.available_change

    from changes
    inner join locations
        on changes.location_sk = locations.location_sk
    where
        changes.available_change < 0
        and locations.is_active
        and coalesce(locations.fulfills_online_orders, true)
        and changes.observed_at > {{ dbt.dateadd('day', '-' ~ mart_setting('velocity_window_days'), mart_as_of()) }}
        and changes.observed_at <= {{ mart_as_of() }}

),

depleted as (

    select
        sku,
        channel,
        store_id,
        sum(0 - available_change) as units_depleted

    from in_window
    group by sku, channel, store_id

),

velocity as (

    select
        availability.sku,
        availability.channel,
        availability.store_id,
        availability.sellable_quantity,
        coalesce(depleted.units_depleted, 0) as units_depleted,
        cast(coalesce(depleted.units_depleted, 0) as {{ dbt.type_float() }})
        / {{ mart_setting('velocity_window_days') }} as units_per_day

    from availability
    left join depleted
        on
            availability.sku = depleted.sku
            and availability.channel = depleted.channel
            and availability.store_id = depleted.store_id

),

covered as (

    select
        *,
        case
            when units_per_day > 0
                then
                    cast(case when sellable_quantity > 0 then sellable_quantity else 0 end as {{ dbt.type_float() }})
                    / units_per_day
        end as days_of_cover

    from velocity

),

final as (

    select
        sku,
        channel,
        store_id,
        sellable_quantity,
        units_depleted,
        units_per_day,
        days_of_cover,
        case
            when days_of_cover is not null
                then cast({{ dbt.dateadd('day', 'cast(floor(days_of_cover) as integer)', mart_as_of()) }} as date)
        end as projected_stockout_date

    from covered

)

select * from final
