{% macro flag_vanished_rows(relation, sync_runs, stream_name) -%}
    {#- The deletion rule of docs/interfaces.md: a row is gone from the source when it was last
        emitted before the latest full snapshot of its stream for its store. -#}
    select
        rows_.*,
        coalesce(rows_.synced_at < snapshots.last_full_snapshot_at, false) as is_deleted
    from {{ relation }} as rows_
    left join (
        select
            cast(store_id as {{ dbt.type_string() }}) as store_id,
            max(cast(run_started_at as {{ dbt.type_timestamp() }})) as last_full_snapshot_at
        from {{ sync_runs }}
        where stream_name = '{{ stream_name }}' and is_full_snapshot
        group by 1
    ) as snapshots
        on rows_.store_id = snapshots.store_id
{%- endmacro %}
