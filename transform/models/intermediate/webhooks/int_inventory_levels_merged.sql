{#- Polled levels with webhook observations merged in: per level, the newest observation by the platform's
    time wins. Polling is the reconciling truth: a polled row as new as the webhook (Shopify: the same
    updatedAt; BigCommerce: a snapshot that started later) wins, and a level missing from a full snapshot
    stays deleted unless a webhook saw it after that snapshot. Without webhooks (env INVENTORY_WEBHOOKS
    empty) no event is read and this is int_inventory_levels_unioned plus `observed_at`, `observed_by`. -#}
{%- set webhook_channels = [] -%}
{%- for name in var('webhooks', '').split(',') if name | trim in enabled_channels() -%}
    {%- do webhook_channels.append(name | trim) -%}
{%- endfor -%}

with

polled as (

    select * from {{ ref('int_inventory_levels_unioned') }}

),

events as (

    select * from {{ ref('stg_webhooks__inventory_level_events') }}
    {% if webhook_channels -%}
        where channel in ('{{ webhook_channels | join("', '") }}')
    {%- else -%}
        where 1 = 0
    {%- endif %}

),

latest_events as (

    {{ latest_row_per_key('events', ['channel', 'store_id', 'location_id', 'inventory_item_id'],
                          'observed_at desc, seq desc') }}

),

compared as (

    select
        coalesce(polled.channel, latest_events.channel) as channel,
        coalesce(polled.store_id, latest_events.store_id) as store_id,
        coalesce(polled.location_id, latest_events.location_id) as location_id,
        coalesce(polled.inventory_item_id, latest_events.inventory_item_id) as inventory_item_id,
        polled.sku,
        polled.is_deleted as polled_is_deleted,
        polled.available as polled_available,
        polled.on_hand as polled_on_hand,
        polled.committed,
        polled.reserved,
        polled.incoming,
        polled.damaged,
        polled.quality_control,
        polled.safety_stock as polled_safety_stock,
        polled.updated_at as polled_updated_at,
        polled.synced_at,
        latest_events.is_disconnected as event_is_disconnected,
        latest_events.available as event_available,
        latest_events.on_hand as event_on_hand,
        latest_events.safety_stock as event_safety_stock,
        latest_events.observed_at as event_observed_at,
        latest_events.received_at as event_received_at,
        coalesce(
            latest_events.observed_at > coalesce(polled.updated_at, polled.synced_at)
            or (latest_events.observed_at is not null and polled.channel is null),
            false
        ) as webhook_wins

    from polled
    full outer join latest_events
        on
            polled.channel = latest_events.channel
            and polled.store_id = latest_events.store_id
            and polled.location_id = latest_events.location_id
            and polled.inventory_item_id = latest_events.inventory_item_id

),

merged as (

    select
        channel,
        store_id,
        location_id,
        inventory_item_id,
        sku,
        case when webhook_wins then event_is_disconnected else polled_is_deleted end as is_deleted,
        case when webhook_wins then event_available else polled_available end as available,
        -- Shopify's body carries `available` only: the other quantities stay as polled until the next poll
        case when webhook_wins and channel = 'bigcommerce' then event_on_hand else polled_on_hand end as on_hand,
        committed,
        reserved,
        incoming,
        damaged,
        quality_control,
        case
            when webhook_wins and channel = 'bigcommerce' then event_safety_stock else polled_safety_stock
        end as safety_stock,
        case
            when webhook_wins and channel = 'shopify' then event_observed_at else polled_updated_at
        end as updated_at,
        coalesce(synced_at, event_received_at) as synced_at,
        case when webhook_wins then event_observed_at else coalesce(polled_updated_at, synced_at) end
            as observed_at,
        case when webhook_wins then 'webhook' else 'poll' end as observed_by

    from compared

),

final as (

    select
        {{ surrogate_key(['channel', 'store_id', 'location_id', 'inventory_item_id']) }} as inventory_level_sk,
        {{ surrogate_key(['channel', 'store_id', 'location_id']) }} as location_sk,
        {{ surrogate_key(['channel', 'store_id', 'inventory_item_id']) }} as inventory_item_sk,
        *
    from merged

)

select * from final
