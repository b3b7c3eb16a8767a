{% macro normalize_sku(column) -%}
    {#- The SKU every mart compares: trimmed, and upper case, lower case or as written by setting `sku_case`
        (`upper`, `lower`, `preserve`). An empty SKU is null. -#}
    {%- set rule = mart_choice('sku_case', ['upper', 'lower', 'preserve']) -%}
    {%- set trimmed = "nullif(trim(cast(" ~ column ~ " as " ~ dbt.type_string() ~ ")), '')" -%}
    {%- if rule == 'upper' -%}
        upper({{ trimmed }})
    {%- elif rule == 'lower' -%}
        lower({{ trimmed }})
    {%- else -%}
        {{ trimmed }}
    {%- endif -%}
{%- endmacro %}
