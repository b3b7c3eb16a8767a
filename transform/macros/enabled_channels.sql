{% macro enabled_channels() -%}
    {#- The channels this deployment syncs, from the `channels` var (a list, or a comma-separated
        string such as the env var INVENTORY_CHANNELS gives). Order is kept; unknown names fail. -#}
    {%- set known = ['shopify', 'bigcommerce', 'magento'] -%}
    {%- set raw = var('channels') -%}
    {%- set names = raw.split(',') if raw is string else raw -%}
    {%- set channels = [] -%}
    {%- for name in names if name | trim -%}
        {%- if name | trim not in known -%}
            {{ exceptions.raise_compiler_error("unknown channel '" ~ name ~ "' in var channels; known: " ~ known | join(', ')) }}
        {%- endif -%}
        {%- do channels.append(name | trim) -%}
    {%- endfor -%}
    {{ return(channels) }}
{%- endmacro %}
