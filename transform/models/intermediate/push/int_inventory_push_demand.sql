-- The demand buffer of the push plan (setting push_demand_minutes = N): per SKU, what it sells in N minutes on
-- sale, read from the level history. Each channel holds it back: what sold in the last few minutes is what may sell
-- again elsewhere before our next write lands there, so the last units cannot be sold twice. Off (no rows, nothing
-- read) while N is 0. Where the sales are read, by push_mode:
--   system_of_record  the record store's decreases (it receives every channel's orders; the push never writes it)
--   pooled            every channel store's decreases net of our own applied writes (int_inventory_level_moves:
--                     a level we lowered from 9 to 5 and then saw at 4 sold 1)
-- "On sale" is what keeps the buffer honest about demand it could not see. In system_of_record mode the time the
-- SKU's record showed 0 at every location does not count: the buffer is what sold in the SKU's last N minutes on
-- sale, however long ago, so a SKU restocked after an hour at 0 is held back by what it sold before it ran out, not
-- by the nothing it could sell while out. Pooled mode counts every minute: there the channels show what we write,
-- and a SKU we hold at 0 must not keep its buffer for ever. Once a SKU has been on sale for N minutes without
-- selling, its buffer is 0. A unit received in the same interval as a sale hides it (restocks are rare next to
-- sales); a level that disappears from its store keeps counting as last seen.
-- A SKU seen on sale for less than N minutes in all (the push just turned on, a new SKU) has no N minutes to sum:
-- its buffer is the rate it sold at while we watched it, times N minutes (rounded up). Summing the little history
-- there is would be a buffer of a few seconds' sales, which is how a push's first minutes oversold.
{%- set mode = push_mode() %}
{%- set window_s = (mart_number('push_demand_minutes') | float * 60) | int %}

with

versions as (

    -- each version read: how much it changed what the SKU shows, and what it sold (its decrease net of our own
    -- writes; a level's first observation sold nothing we saw)
    select
        moves.sku,
        moves.observed_at,
        coalesce(moves.available_change, moves.available) as shown_change,
        greatest(coalesce(0 - moves.net_available_change, 0), 0) as sold_units

    from {{ ref('int_inventory_level_moves') }} as moves
    left join {{ ref('mart_system_of_record') }} as record
        on
            moves.channel = record.record_channel
            and moves.store_id = record.record_store_id
            and record.status = 'ok'
    where
        moves.sku is not null
        and ('{{ mode }}' = 'pooled' or record.record_channel is not null)
        and {{ 'true' if window_s > 0 else 'false' }}  -- push_demand_minutes 0: off, nothing to read

),

moments as (

    select
        sku,
        observed_at,
        sum(shown_change) as shown_change,
        sum(sold_units) as sold_units

    from versions
    group by sku, observed_at

),

intervals as (

    -- the SKU between two observations: what it showed (every location summed) and what was seen sold at the end;
    -- the last runs to now, nothing seen sold yet
    select
        sku,
        observed_at as started_at,
        coalesce(lead(observed_at) over (partition by sku order by observed_at), {{ mart_as_of() }}) as ended_at,
        lead(observed_at) over (partition by sku order by observed_at) is not null as is_watched,
        sum(shown_change) over (partition by sku order by observed_at rows unbounded preceding) as shown,
        coalesce(lead(sold_units) over (partition by sku order by observed_at), 0) as sold_units

    from moments

),

on_sale as (

    select
        *,
        {{ dbt.datediff('started_at', 'ended_at', 'second') }} as seconds

    from intervals
    where {{ 'true' if mode == 'pooled' else 'shown > 0' }}

),

latest as (

    -- the SKU's intervals on sale, newest first, while those after it are less than N minutes
    select * from (
        select
            *,
            coalesce(sum(seconds) over (
                partition by sku order by ended_at desc
                rows between unbounded preceding and 1 preceding
            ), 0) as later_seconds

        from on_sale
    ) as ranked
    where later_seconds < {{ window_s }}

),

summed as (

    -- what the SKU sold in its latest N minutes on sale; seconds_on_sale below N means that is all its history,
    -- and watched_seconds is the part of it that ends at an observation (the last interval's sales are not seen yet)
    select
        sku,
        sum(sold_units) as sold_units,
        sum(seconds) as seconds_on_sale,
        sum(case when is_watched then seconds else 0 end) as watched_seconds

    from latest
    group by sku

),

final as (

    select
        sku,
        cast(sold_units as integer) as sold_units,
        cast(seconds_on_sale as integer) as seconds_on_sale,
        cast(case
            when seconds_on_sale >= {{ window_s }} then sold_units
            else ceil(sold_units * {{ window_s }}.0 / greatest(watched_seconds, 1))
        end as integer) as demand_units

    from summed

)

select * from final
