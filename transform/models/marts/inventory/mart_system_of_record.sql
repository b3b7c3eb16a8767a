-- The system of record the marts compare every channel with (settings record_channel and record_store_id), in
-- one row: whether it is set and how many SKUs it tracks, so a wrong store id is one visible condition instead
-- of a discrepancy on every SKU. status: `ok`, `not_set` (no record chosen: nothing is compared) or `no_rows`
-- (the record store has no SKUs in the mart, e.g. a store id that names no store: nothing is compared).
with

availability as (

    select * from {{ ref('fct_sku_channel_availability') }}

),

setting as (

    select
        cast('{{ mart_setting("record_channel") }}' as varchar) as record_channel,
        cast('{{ mart_setting("record_store_id") }}' as varchar) as record_store_id

),

record_skus as (

    select count(distinct availability.sku) as record_skus

    from availability
    inner join setting
        on
            availability.channel = setting.record_channel
            and availability.store_id = setting.record_store_id

),

final as (

    select
        nullif(setting.record_channel, '') as record_channel,
        nullif(setting.record_store_id, '') as record_store_id,
        setting.record_channel != '' and setting.record_store_id != '' as is_set,
        record_skus.record_skus,
        case
            when setting.record_channel = '' or setting.record_store_id = '' then 'not_set'
            when record_skus.record_skus = 0 then 'no_rows'
            else 'ok'
        end as status

    from setting
    cross join record_skus

)

select * from final
