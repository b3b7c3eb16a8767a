{% macro normalize_sku(column) -%}
    {#- The SKU every mart compares: trimmed, and upper case, lower case or as written by setting `sku_case`
        (`upper`, `lower`, `preserve`). An empty SKU is null. -#}
    {%- set rule = mart_setting('sku_case') | lower -%}
    {%- set trimmed = "nullif(trim(cast(" ~ column ~ " as " ~ dbt.type_string() ~ ")), '')" -%}
    {%- if rule == 'upper' -%}
        upper({{ trimmed }})
    {%- elif rule == 'lower' -%}
        lower({{ trimmed }})
    {%- elif rule == 'preserve' -%}
        {{ trimmed }}
    {%- else -%}
        {{ exceptions.raise_compiler_error("var sku_case must be upper, lower or preserve, not '" ~ rule ~ "'") }}
    {%- endif -%}
{%- endmacro %}
