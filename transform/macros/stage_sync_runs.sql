{% macro stage_sync_runs(source_name) -%}
    {#- Staging of a tap's `sync_runs` table: the same shape in every tap (docs/interfaces.md section 2),
        so one definition serves every channel. -#}
    with

    source as (

        select * from {{ source(source_name, 'sync_runs') }}

    ),

    renamed as (

        select
            cast(store_id as varchar) as store_id,
            cast(stream_name as varchar) as stream_name,
            cast(is_full_snapshot as boolean) as is_full_snapshot,
            cast(run_started_at as timestamp) as run_started_at,
            cast(finished_at as timestamp) as finished_at,
            _sdc_extracted_at,
            _sdc_batched_at

        from source

    ),

    deduplicated as (

        {{ latest_row_per_key('renamed', ['store_id', 'run_started_at', 'stream_name'], 'finished_at desc nulls last, _sdc_batched_at desc nulls last') }}

    ),

    final as (

        select
            {{ surrogate_key(['store_id', 'run_started_at', 'stream_name']) }} as sync_run_sk,
            *
        from deduplicated

    )

    select * from final
{%- endmacro %}
