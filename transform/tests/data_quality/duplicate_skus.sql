{{ config(severity='warn', tags=['data_quality']) }}
-- Data quality (warn): one (normalized) SKU on more than one inventory item of the same store.
select channel, store_id, sku, count(distinct inventory_item_id) as items
from {{ ref('fct_inventory_levels') }}
where sku is not null
group by channel, store_id, sku
having count(distinct inventory_item_id) > 1
