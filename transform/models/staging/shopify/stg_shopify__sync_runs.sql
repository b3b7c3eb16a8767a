{{ stage_sync_runs('shopify') }}
