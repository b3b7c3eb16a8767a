{{ config(severity='warn', tags=['data_quality']) }}
-- Data quality (warn): stock below zero where the item does not allow overselling.
select channel, store_id, location_id, inventory_item_id, sku, available, on_hand
from {{ ref('fct_inventory_levels') }}
where (available < 0 or on_hand < 0) and coalesce(oversell_policy, 'deny') <> 'continue'
