{{ config(severity='warn', tags=['data_quality']) }}
-- Data quality (warn): a stocked level whose item has no SKU cannot be matched across channels.
select channel, store_id, location_id, inventory_item_id, sku
from {{ ref('fct_inventory_levels') }}
where sku is null or trim(sku) = ''
