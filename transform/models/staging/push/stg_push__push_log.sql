{#- What inventory-push wrote and skipped (utilities/inventory-push/README.md, "Audit"), typed. The push creates
    `<audit schema>.push_log` on its first run, so before that this is an empty relation with the same columns.
    The plan reads it to hold levels it wrote within the settling window, and the pooled ledger to know which
    planned quantities a channel received. -#}
{%- set audit_schema = mart_setting('push_audit_schema') -%}
{%- set loaded = adapter.get_relation(database=target.database, schema=audit_schema, identifier='push_log')
    if execute else none -%}

{#- `at` is a keyword on Snowflake (time travel): the push's unquoted column is stored there as AT. -#}
{%- set at_column = '"AT"' if target.type == 'snowflake' else 'at' %}

with

renamed as (

    {% if loaded is none %}
        -- no push has run yet: the columns, no rows
        select
            cast(null as varchar) as run_id,
            cast(null as varchar) as plan_id,
            cast(null as varchar) as plan_row_id,
            cast(null as varchar) as channel,
            cast(null as varchar) as store_id,
            cast(null as varchar) as location_id,
            cast(null as varchar) as sku,
            cast(null as integer) as from_quantity,
            cast(null as integer) as to_quantity,
            cast(null as varchar) as write_method,
            cast(null as varchar) as result,
            cast(null as boolean) as is_dry_run,
            cast(null as timestamp) as recorded_at
        where 1 = 0
    {% else %}
        select
            cast(run_id as varchar) as run_id,
            cast(plan_id as varchar) as plan_id,
            cast(plan_row_id as varchar) as plan_row_id,
            cast(channel as varchar) as channel,
            cast(store_id as varchar) as store_id,
            cast(location_id as varchar) as location_id,
            cast(sku as varchar) as sku,
            cast(from_quantity as integer) as from_quantity,
            cast(to_quantity as integer) as to_quantity,
            cast(method as varchar) as write_method,
            cast(result as varchar) as result,
            cast(dry_run as boolean) as is_dry_run,
            cast({{ at_column }} as timestamp) as recorded_at
        from {{ loaded }}
    {% endif %}

),

final as (

    select * from renamed

)

select * from final
