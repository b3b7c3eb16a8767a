{% macro latest_row_per_key(relation, key_columns, order_by='synced_at desc nulls last, updated_at desc nulls last, _sdc_batched_at desc nulls last') -%}
    {{ return(adapter.dispatch('latest_row_per_key', 'inventory')(relation, key_columns, order_by)) }}
{%- endmacro %}

{% macro default__latest_row_per_key(relation, key_columns, order_by) -%}
    select * from {{ relation }}
    qualify row_number() over (
        partition by {{ key_columns | join(', ') }}
        order by {{ order_by }}
    ) = 1
{%- endmacro %}
