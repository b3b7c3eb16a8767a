-- Each level's closing quantities per UTC day (as_of_date), for the days the history saw any sync with a change
-- (and today), from the snapshot: one row per level x day while the level existed, with the units it lost
-- (depleted) and gained (received) that day.
with

changes as (

    select * from {{ ref('int_inventory_level_changes') }}

),

days as (

    select distinct cast(observed_at as date) as as_of_date from changes

    union

    select cast({{ mart_as_of() }} as date) as as_of_date

),

versions as (

    select
        *,
        cast(observed_at as date) as first_day,
        case
            when next_observed_at is not null then cast(next_observed_at as date)
            when dbt_valid_to is not null then cast(dbt_valid_to as date)
        end as superseded_day

    from changes

),

closing as (

    select
        days.as_of_date,
        versions.*,
        row_number() over (
            partition by versions.inventory_level_sk, days.as_of_date
            order by versions.dbt_valid_from desc
        ) as version_of_day_desc

    from days
    inner join versions
        on
            days.as_of_date >= versions.first_day
            and (
                versions.superseded_day is null
                or days.as_of_date < versions.superseded_day
                or days.as_of_date = versions.first_day
            )

),

moves as (

    select
        inventory_level_sk,
        cast(observed_at as date) as as_of_date,
        sum(case when available_change < 0 then 0 - available_change else 0 end) as units_depleted,
        sum(case when available_change > 0 then available_change else 0 end) as units_received

    from changes
    group by inventory_level_sk, cast(observed_at as date)

),

final as (

    select
        {{ surrogate_key(['closing.inventory_level_sk', 'closing.as_of_date']) }} as inventory_daily_sk,
        closing.as_of_date,
        closing.inventory_level_sk,
        closing.channel,
        closing.store_id,
        closing.location_id,
        closing.inventory_item_id,
        closing.sku,
        closing.available,
        closing.on_hand,
        coalesce(moves.units_depleted, 0) as units_depleted,
        coalesce(moves.units_received, 0) as units_received

    from closing
    left join moves
        on closing.inventory_level_sk = moves.inventory_level_sk and closing.as_of_date = moves.as_of_date
    where
        closing.version_of_day_desc = 1
        -- a level removed (hard delete) before the as_of_date's end does not close that as_of_date
        and not (
            closing.dbt_valid_to is not null
            and closing.next_observed_at is null
            and closing.superseded_day <= closing.as_of_date
        )

)

select * from final
