{{ config(severity='warn', tags=['data_quality']) }}
-- Data quality (warn): SKUs of one store spelled differently (letter case, surrounding whitespace) that the
-- marts fold into one normalized SKU (normalize_sku): the source catalog needs cleaning.
with items as (
    {{ union_channels('inventory_items', ['store_id', 'inventory_item_id', 'sku', 'sku_raw', 'is_deleted']) }}
)
select channel, store_id, sku as normalized_sku, count(distinct sku_raw) as spellings
from items
where sku is not null and not coalesce(is_deleted, false)
group by channel, store_id, sku
having count(distinct sku_raw) > 1
