{{ stage_sync_runs('__channel__') }}
