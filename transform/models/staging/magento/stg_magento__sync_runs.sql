{{ stage_sync_runs('magento') }}
