-- Every channel store's sellable quantity of a SKU against the system of record (settings record_channel and
-- record_store_id): one row per SKU x channel store that is not the record, for the SKUs the record or that
-- channel store tracks. A SKU one side does not track counts as 0 there. Flagged when the two differ by more
-- than the setting discrepancy_tolerance (units). Nothing is compared while the record is not set or has no rows
-- (mart_system_of_record says which): a wrong store id must not flag every SKU of every channel.
with

availability as (

    select * from {{ ref('fct_sku_channel_availability') }}

),

system_of_record as (

    select * from {{ ref('mart_system_of_record') }}

),

is_record as (

    select
        *,
        channel = '{{ mart_setting("record_channel") }}'
        and store_id = '{{ mart_setting("record_store_id") }}' as is_record

    from availability

),

record as (

    select * from is_record
    where is_record

),

channel_stores as (

    select distinct
        channel,
        store_id

    from is_record
    where not is_record

),

compared as (

    select
        channel_stores.channel,
        channel_stores.store_id,
        record.sku

    from channel_stores
    cross join record

    union

    select
        channel,
        store_id,
        sku

    from is_record
    where not is_record

),

final as (

    select
        compared.sku,
        compared.channel,
        compared.store_id,
        coalesce(channel_side.sellable_quantity, 0) as sellable_quantity,
        '{{ mart_setting("record_channel") }}' as record_channel,
        '{{ mart_setting("record_store_id") }}' as record_store_id,
        coalesce(record.sellable_quantity, 0) as record_quantity,
        coalesce(channel_side.sellable_quantity, 0) - coalesce(record.sellable_quantity, 0) as difference,
        abs(coalesce(channel_side.sellable_quantity, 0) - coalesce(record.sellable_quantity, 0))
        > {{ mart_setting("discrepancy_tolerance") }} as is_discrepancy,
        channel_side.sku is not null as channel_tracks_sku,
        record.sku is not null as record_tracks_sku

    from compared
    inner join system_of_record
        on system_of_record.status = 'ok'
    left join availability as channel_side
        on
            compared.sku = channel_side.sku
            and compared.channel = channel_side.channel
            and compared.store_id = channel_side.store_id
    left join record
        on compared.sku = record.sku

)

select * from final
