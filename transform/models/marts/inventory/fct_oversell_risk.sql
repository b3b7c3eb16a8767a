-- SKUs a channel store can sell beyond real stock, one row per SKU x channel store x reason:
--   above_system_of_record           it shows more sellable units than the system of record has
--                                    (excess_units = the difference)
--   continue_with_nothing_available  its policy keeps selling (`continue`) and nothing is available
--                                    (excess_units = units already sold below zero, 0 at exactly zero)
with

discrepancies as (

    select * from {{ ref('fct_inventory_discrepancies') }}

),

availability as (

    select * from {{ ref('fct_sku_channel_availability') }}

),

record as (

    select * from availability
    where
        channel = '{{ mart_setting("record_channel") }}'
        and store_id = '{{ mart_setting("record_store_id") }}'

),

above_record as (

    select
        sku,
        channel,
        store_id,
        'above_system_of_record' as risk_reason,
        sellable_quantity,
        record_quantity,
        difference as excess_units

    from discrepancies
    where is_discrepancy and difference > 0

),

continue_at_zero as (

    select
        availability.sku,
        availability.channel,
        availability.store_id,
        'continue_with_nothing_available' as risk_reason,
        availability.sellable_quantity,
        record.sellable_quantity as record_quantity,
        0 - availability.sellable_quantity as excess_units

    from availability
    left join record
        on availability.sku = record.sku
    where availability.oversell_policy = 'continue' and availability.sellable_quantity <= 0

),

final as (

    select * from above_record
    union all
    select * from continue_at_zero

)

select * from final
