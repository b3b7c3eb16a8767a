{% macro snowflake__snapshot_merge_sql(target, source, insert_cols) -%}
    {#- Snapshots on Snowflake: close the changed versions with an update, then insert the new ones (what
        dbt-postgres does), instead of dbt's single MERGE. Same result on Snowflake; the Snowflake emulator our
        tests run on (fakesnow) cannot execute the MERGE that dbt generates for snapshots. -#}
    {%- set columns = config.get("snapshot_table_column_names") or get_snapshot_table_column_names() -%}
    update {{ target }}
    set {{ columns.dbt_valid_to }} = DBT_INTERNAL_SOURCE.{{ columns.dbt_valid_to }}
    from {{ source }} as DBT_INTERNAL_SOURCE
    where
        DBT_INTERNAL_SOURCE.{{ columns.dbt_scd_id }} = {{ target }}.{{ columns.dbt_scd_id }}
        and DBT_INTERNAL_SOURCE.dbt_change_type in ('update', 'delete')
        and {{ target }}.{{ columns.dbt_valid_to }} is null;

    insert into {{ target }} ({{ insert_cols | join(', ') }})
    select
        {%- for column in insert_cols %}
        DBT_INTERNAL_SOURCE.{{ column }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ source }} as DBT_INTERNAL_SOURCE
    where DBT_INTERNAL_SOURCE.dbt_change_type = 'insert'
{%- endmacro %}
