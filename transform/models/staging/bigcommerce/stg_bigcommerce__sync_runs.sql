{{ stage_sync_runs('bigcommerce') }}
