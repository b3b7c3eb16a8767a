{% macro enabled_channels() -%}
    {#- The channels this deployment syncs, from the `channels` var (a list, or a comma-separated
        string such as the env var INVENTORY_CHANNELS gives; empty: every one of `known_channels`).
        Order is kept; unknown names fail. -#}
    {%- set known = var('known_channels') -%}
    {%- set raw = var('channels') or known -%}
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
