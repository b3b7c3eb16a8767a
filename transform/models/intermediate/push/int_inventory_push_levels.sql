-- Every level the push may read or write: one row per channel store x sellable location x tracked item with a SKU,
-- with what was observed there (quantity, when, by which sync run) and why a write there would be premature: its
-- channel store's data is stale (no complete levels sync for push_stale_minutes), the observation came from a sync
-- run that did not finish, or the quantity is last known to hold (`observed_at`: read, or found unchanged by a later
-- complete sync) before our own last write there plus the channel's push_settle_seconds. `plan_id` names the
-- build: a hash of the mode, the push settings and the latest observation of every channel store, so a rebuild on
-- the same data is the same plan (the push writes a plan row once).
with

levels as (

    -- the listed-SKU lookup joins on one computed key: a hash join at any size (on three columns PostgreSQL compared
    -- every pair of a store's rows)
    select
        *,
        {{ surrogate_key(['channel', 'store_id', 'inventory_item_id']) }} as listed_item_key

    from {{ ref('fct_inventory_levels') }}
    where is_sellable_location

),

items as (

    select * from {{ ref('int_inventory_items_unioned') }}
    where not is_deleted and is_tracked and holds_stock and sku is not null

),

listed_items as (

    -- the SKU as the channel writes it (the push addresses Magento source items by it) and BigCommerce's tracking
    {%- for channel in enabled_channels() %}
        select
            {{ surrogate_key(["'" ~ channel ~ "'", 'store_id', 'inventory_item_id']) }} as listed_item_key,
            sku_raw as listed_sku,
            {{ 'inventory_tracking' if channel == 'bigcommerce' else 'cast(null as varchar)' }} as inventory_tracking
        from {{ ref('stg_' ~ channel ~ '__inventory_items') }}
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}

),

sync_runs as (

    {{ union_channels('sync_runs', ['store_id', 'stream_name', 'run_started_at', 'finished_at']) }}

),

store_runs as (

    -- the start of each channel store's latest levels sync that finished
    select
        channel,
        store_id,
        max(run_started_at) as last_complete_run_at

    from sync_runs
    where stream_name = 'inventory_levels' and finished_at is not null
    group by channel, store_id

),

push_writes as (

    select
        channel,
        store_id,
        location_id,
        sku as listed_sku,
        max(recorded_at) as last_write_at

    from {{ ref('stg_push__push_log') }}
    where result = 'applied' and not is_dry_run
    group by channel, store_id, location_id, sku

),

observed as (

    select
        levels.channel,
        levels.store_id,
        levels.location_id,
        levels.inventory_item_id,
        items.product_id,
        items.variant_id,
        listed_items.inventory_tracking,
        levels.safety_stock,
        items.sku,
        coalesce(listed_items.listed_sku, items.sku) as listed_sku,
        coalesce(levels.available, 0) as observed_quantity,
        levels.observed_by,
        -- when the quantity is last known to hold: the platform's time for a webhook; for a polled level the start
        -- of the store's latest complete levels sync, which would have read it again had it changed (an incremental
        -- read returns every level changed since its bookmark), or of the run that read it when that run is later
        case
            when levels.observed_by = 'webhook' then levels.observed_at
            when store_runs.last_complete_run_at > levels.synced_at then store_runs.last_complete_run_at
            else levels.synced_at
        end as observed_at,
        case
            when levels.observed_by = 'webhook' then 'webhook'
            else cast(levels.synced_at as {{ dbt.type_string() }})
        end as observed_sync_run,
        levels.synced_at,
        store_runs.last_complete_run_at

    from levels
    inner join items
        on levels.inventory_item_sk = items.inventory_item_sk
    left join listed_items
        on levels.listed_item_key = listed_items.listed_item_key
    left join store_runs
        on levels.channel = store_runs.channel and levels.store_id = store_runs.store_id

),

flagged as (

    select
        observed.*,
        push_writes.last_write_at,
        coalesce(
            observed.last_complete_run_at
            < {{ dbt.dateadd('minute', '-' ~ mart_number('push_stale_minutes'), mart_as_of()) }},
            true
        ) as is_stale,
        coalesce(
            observed.observed_by = 'poll'
            and (observed.last_complete_run_at is null or observed.synced_at > observed.last_complete_run_at),
            false
        ) as is_incomplete,
        coalesce(
            observed.observed_at < {{ push_settled_after('observed.channel', 'push_writes.last_write_at') }},
            false
        ) as is_settling,
        {{ push_is_receiving('observed.channel', 'observed.location_id') }} as is_receiving

    from observed
    left join push_writes
        on
            observed.channel = push_writes.channel
            and observed.store_id = push_writes.store_id
            and observed.location_id = push_writes.location_id
            and observed.listed_sku = push_writes.listed_sku

),

store_observations as (

    select
        channel,
        store_id,
        cast(max(synced_at) as {{ dbt.type_string() }}) as last_synced,
        cast(max(observed_at) as {{ dbt.type_string() }}) as last_observed

    from flagged
    group by channel, store_id

),

build as (

    select
        {{ surrogate_key([
            "'" ~ push_mode() ~ "'",
            "'" ~ [mart_setting('push_buffer'), mart_setting('push_locations'), push_other_locations(),
                   mart_setting('push_receiving_location'), mart_setting('push_settle_seconds'),
                   mart_setting('push_demand_minutes'),
                   mart_setting('push_stale_minutes'), mart_setting('record_channel'),
                   mart_setting('record_store_id')] | join('|') ~ "'",
            dbt.listagg(dbt.concat(["channel", "'/'", "store_id", "'@'", "coalesce(last_synced, '')", "'/'",
                                    "coalesce(last_observed, '')"]), "','", "order by channel, store_id"),
        ]) }} as plan_id

    from store_observations

),

final as (

    select
        build.plan_id,
        flagged.*

    from flagged
    cross join build

)

select * from final
