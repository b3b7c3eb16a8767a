{% macro push_mode() -%}
    {#- The plan's mode (setting push_mode): `system_of_record` or `pooled`. -#}
    {{ return(mart_choice('push_mode', ['system_of_record', 'pooled'])) }}
{%- endmacro %}

{% macro push_other_locations() -%}
    {#- What the plan does with a channel's other sellable locations (setting push_other_locations): `leave` them
        as they are, or `lower` them, largest first, when they alone show more than the target. -#}
    {{ return(mart_choice('push_other_locations', ['leave', 'lower'])) }}
{%- endmacro %}

{% macro push_channel_entries(name) -%}
    {#- A setting written `value` (every channel) or `channel:value,...`, as {channel or '*': value}. -#}
    {%- set known = var('known_channels') -%}
    {%- set entries = {} -%}
    {%- for part in (mart_setting(name) | string).split(',') if part | trim -%}
        {%- if ':' in part -%}
            {%- set channel, value = (part | trim).split(':', 1) -%}
            {%- if channel | trim not in known -%}
                {{ exceptions.raise_compiler_error("setting " ~ name ~ ": unknown channel '" ~ channel ~ "' (known: " ~ known | join(', ') ~ ")") }}
            {%- endif -%}
            {%- do entries.update({channel | trim: value | trim}) -%}
        {%- else -%}
            {%- do entries.update({'*': part | trim}) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(entries) }}
{%- endmacro %}

{% macro push_buffer_units(channel, quantity) -%}
    {#- Units a channel holds back from `quantity` (setting push_buffer): `N` units or `N%` of the quantity,
        rounded up; `2` for every channel or `shopify:2,bigcommerce:10%` per channel (unnamed channels: 0, or the
        bare value). Never negative. -#}
    {%- set entries = push_channel_entries('push_buffer') -%}
    {%- set units_of = {} -%}
    {%- for name, value in entries.items() -%}
        {%- set number = value.rstrip('%') | trim -%}
        {%- if not number.replace('.', '', 1).isdigit() -%}
            {{ exceptions.raise_compiler_error("INVENTORY_PUSH_BUFFER (var push_buffer): '" ~ value ~ "' is neither units (2) nor a percent (10%)") }}
        {%- endif -%}
        {%- if value.endswith('%') -%}
            {%- do units_of.update({name: "ceil(greatest(" ~ quantity ~ ", 0) * " ~ number ~ " / 100.0)"}) -%}
        {%- else -%}
            {%- do units_of.update({name: number | int | string}) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set named = units_of.items() | rejectattr('0', 'equalto', '*') | list -%}
    {%- if named %}
    cast(case
        {%- for name, units in named %}
        when {{ channel }} = '{{ name }}' then {{ units }}
        {%- endfor %}
        else {{ units_of.get('*', '0') }}
    end as integer)
    {%- else %}
    cast({{ units_of.get('*', '0') }} as integer)
    {%- endif %}
{%- endmacro %}

{% macro push_location_is_chosen(channel, location_id) -%}
    {#- True at the location a channel's pushes go to (setting push_locations, `channel:location_id,...`). -#}
    {%- set entries = push_channel_entries('push_locations') -%}
    (
        {%- for name, location in entries.items() if name != '*' %}
        ({{ channel }} = '{{ name }}' and {{ location_id }} = '{{ location }}') or
        {%- endfor %}
        1 = 0
    )
{%- endmacro %}

{% macro push_is_receiving(channel, location_id) -%}
    {#- True at the pooled mode's receiving location (setting push_receiving_location, `channel:location_id`). -#}
    {%- set entries = push_channel_entries('push_receiving_location') -%}
    {%- if '*' in entries -%}
        {{ exceptions.raise_compiler_error("INVENTORY_PUSH_RECEIVING_LOCATION (var push_receiving_location) is channel:location_id, e.g. magento:default") }}
    {%- endif -%}
    (
        {%- for name, location in entries.items() %}
        ({{ channel }} = '{{ name }}' and {{ location_id }} = '{{ location }}') or
        {%- endfor %}
        1 = 0
    )
{%- endmacro %}

{% macro push_settled_after(channel, written_at) -%}
    {#- When a read of a level we wrote at `written_at` can be trusted: `written_at` plus the channel's settle time
        (setting push_settle_seconds: `120` for every channel, or `bigcommerce:120,shopify:0` per channel; unnamed
        channels 0, or the bare value). BigCommerce's Inventory API is asynchronous (a read may show a write late);
        Shopify's and Magento's reads show a write once it is answered. A read from before the write never counts. -#}
    {%- set entries = push_channel_entries('push_settle_seconds') -%}
    {%- for name, value in entries.items() -%}
        {%- if not (value | trim).replace('.', '', 1).isdigit() -%}
            {{ exceptions.raise_compiler_error("INVENTORY_PUSH_SETTLE_SECONDS (var push_settle_seconds): '" ~ value ~ "' is not a number of seconds (120, or bigcommerce:120,shopify:0)") }}
        {%- endif -%}
    {%- endfor -%}
    {%- set named = entries.items() | rejectattr('0', 'equalto', '*') | list -%}
    case
        {%- for name, seconds in named %}
        when {{ channel }} = '{{ name }}' then {{ dbt.dateadd('second', seconds | trim, written_at) }}
        {%- endfor %}
        else {{ dbt.dateadd('second', entries.get('*', '0') | trim, written_at) }}
    end
{%- endmacro %}
