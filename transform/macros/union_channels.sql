{% macro union_channels(entity, columns) -%}
    {#- `select '<channel>' as channel, <columns> from stg_<channel>__<entity>` for every enabled
        channel, glued with `union all`. Each channel's staging model must offer `columns`. -#}
    {%- for channel in enabled_channels() %}
    select
        '{{ channel }}' as channel,
        {{ columns | join(',\n        ') }}
    from {{ ref('stg_' ~ channel ~ '__' ~ entity) }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
{%- endmacro %}
