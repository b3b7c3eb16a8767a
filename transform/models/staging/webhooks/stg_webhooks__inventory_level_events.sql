{#- Reads raw_webhooks only when env INVENTORY_WEBHOOKS names webhook channels (the source is disabled
    otherwise) and the loader has created the table; else it is an empty relation with the same columns,
    so int_inventory_levels_merged builds the same way with or without webhooks. -#}
{%- set loaded = none -%}
{%- if var('webhooks', '') | trim -%}
    {%- set src = source('webhooks', 'inventory_level_events') -%}
    {%- set loaded = adapter.get_relation(database=src.database, schema=src.schema, identifier=src.identifier)
        if execute else src -%}
{%- endif -%}

with

source as (

    {% if loaded is none %}
        -- webhooks off, or none synced yet: the columns, no rows
        select
            cast(null as bigint) as seq,
            cast(null as varchar) as channel,
            cast(null as varchar) as store_id,
            cast(null as varchar) as location_id,
            cast(null as varchar) as inventory_item_id,
            cast(null as integer) as available,
            cast(null as integer) as on_hand,
            cast(null as integer) as safety_stock,
            cast(null as boolean) as is_disconnected,
            cast(null as varchar) as observed_at,
            cast(null as varchar) as triggered_at,
            cast(null as varchar) as received_at,
            cast(null as varchar) as topic,
            cast(null as varchar) as webhook_id
        where 1 = 0
    {% else %}
        select * from {{ loaded }}
    {% endif %}

),

renamed as (

    select
        cast(channel as varchar) as channel,
        cast(store_id as varchar) as store_id,
        cast(location_id as varchar) as location_id,
        cast(inventory_item_id as varchar) as inventory_item_id,
        cast(webhook_id as varchar) as webhook_id,
        cast(topic as varchar) as topic,
        coalesce(cast(is_disconnected as boolean), false) as is_disconnected,
        cast(available as integer) as available,
        cast(on_hand as integer) as on_hand,
        cast(safety_stock as integer) as safety_stock,
        cast(observed_at as timestamp) as observed_at,
        cast(triggered_at as timestamp) as triggered_at,
        cast(received_at as timestamp) as received_at,
        cast(seq as bigint) as seq

    from source

),

final as (

    select * from renamed

)

select * from final
