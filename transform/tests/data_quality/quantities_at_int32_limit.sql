{{ config(severity='warn', tags=['data_quality']) }}
-- Data quality (warn): a quantity at or beyond the 32-bit limit (2,147,483,647) is a placeholder or an
-- overflow, not stock.
select channel, store_id, location_id, inventory_item_id, sku, available, on_hand
from {{ ref('fct_inventory_levels') }}
where abs(available) >= 2147483647 or abs(on_hand) >= 2147483647
