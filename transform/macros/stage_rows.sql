{% macro stage_rows(renamed, source_name, stream_name, key_columns, surrogate_key_name=none) -%}
    {#- The tail every staging model of a tap's stream shares, after its own `renamed` CTE: one row per key
        (the latest), `is_deleted` from the stream's full snapshots, and, when named, the surrogate key of the
        key columns first. Emits the CTEs `deduplicated`, `flagged`, `final` and the closing select. -#}
    deduplicated as (

        {{ latest_row_per_key(renamed, key_columns) }}

    ),

    flagged as (

        {{ flag_vanished_rows('deduplicated', source(source_name, 'sync_runs'), stream_name) }}

    ),

    final as (

        select
            {%- if surrogate_key_name %}
            {%- set qualified = [] %}
            {%- for column in key_columns %}{% do qualified.append('flagged.' ~ column) %}{% endfor %}
            {{ surrogate_key(qualified) }} as {{ surrogate_key_name }},
            {%- endif %}
            flagged.*

        from flagged

    )

    select * from final
{%- endmacro %}
