{% macro latest_row_per_key(relation, key_columns, order_by='synced_at desc nulls last, updated_at desc nulls last, _sdc_batched_at desc nulls last') -%}
    {{ return(adapter.dispatch('latest_row_per_key', 'inventory')(relation, key_columns, order_by)) }}
{%- endmacro %}

{% macro default__latest_row_per_key(relation, key_columns, order_by) -%}
    {#- DuckDB and Snowflake: filter on the window function with `qualify`. -#}
    select * from {{ relation }}
    qualify row_number() over (
        partition by {{ key_columns | join(', ') }}
        order by {{ order_by }}
    ) = 1
{%- endmacro %}

{% macro postgres__latest_row_per_key(relation, key_columns, order_by) -%}
    {#- PostgreSQL has no `qualify`; `distinct on` keeps the first row per key in the same order and,
        unlike a row_number() subquery, adds no column to `select *`. -#}
    select distinct on ({{ key_columns | join(', ') }}) * from {{ relation }}
    order by {{ key_columns | join(', ') }}, {{ order_by }}
{%- endmacro %}
