{% macro mart_settings() -%}
    {#- Every setting of the marts: name -> (environment variable, default). -#}
    {{ return({
        'sku_case': ('INVENTORY_SKU_CASE', 'upper'),
        'record_channel': ('INVENTORY_RECORD_CHANNEL', ''),
        'record_store_id': ('INVENTORY_RECORD_STORE_ID', ''),
        'discrepancy_tolerance': ('INVENTORY_DISCREPANCY_TOLERANCE', '0'),
        'velocity_window_days': ('INVENTORY_VELOCITY_WINDOW_DAYS', '7'),
        'anomaly_k': ('INVENTORY_ANOMALY_K', '5'),
        'anomaly_window': ('INVENTORY_ANOMALY_WINDOW', '10'),
        'anomaly_min_history': ('INVENTORY_ANOMALY_MIN_HISTORY', '3'),
        'forecast_as_of': ('INVENTORY_FORECAST_AS_OF', ''),
        'push_mode': ('INVENTORY_PUSH_MODE', 'system_of_record'),
        'push_buffer': ('INVENTORY_PUSH_BUFFER', '0'),
        'push_locations': ('INVENTORY_PUSH_LOCATIONS', ''),
        'push_other_locations': ('INVENTORY_PUSH_OTHER_LOCATIONS', 'leave'),
        'push_receiving_location': ('INVENTORY_PUSH_RECEIVING_LOCATION', ''),
        'push_demand_minutes': ('INVENTORY_PUSH_DEMAND_MINUTES', '0'),
        'push_settle_seconds': ('INVENTORY_PUSH_SETTLE_SECONDS', 'bigcommerce:120'),
        'push_stale_minutes': ('INVENTORY_PUSH_STALE_MINUTES', '30'),
        'push_audit_schema': ('INVENTORY_PUSH_AUDIT_SCHEMA', 'push'),
    }) }}
{%- endmacro %}

{% macro mart_setting(name) -%}
    {#- The settings of the reconciliation marts: `--vars '{name: value}'` wins, then the environment variable,
        then the default in mart_settings(). One place for every knob (transform/README.md lists them). -#}
    {%- set settings = mart_settings() -%}
    {%- if name not in settings -%}
        {{ exceptions.raise_compiler_error("unknown mart setting '" ~ name ~ "'") }}
    {%- endif -%}
    {%- set env_name, default = settings[name] -%}
    {{ return(var(name, env_var(env_name, default))) }}
{%- endmacro %}

{% macro mart_choice(name, choices) -%}
    {#- A setting that is one of `choices` (trimmed, any case): anything else stops the build with one line naming
        the environment variable, the var and the choices. -#}
    {%- set value = mart_setting(name) | string | trim | lower -%}
    {%- if value not in choices -%}
        {{ exceptions.raise_compiler_error(mart_settings()[name][0] ~ " (var " ~ name ~ ") must be " ~ choices[:-1] | join(', ')
                                           ~ " or " ~ choices[-1] ~ ", not '" ~ value ~ "'") }}
    {%- endif -%}
    {{ return(value) }}
{%- endmacro %}

{% macro mart_number(name) -%}
    {#- A setting that is a number of at least 0 (minutes, seconds): anything else stops the build with one line
        naming the environment variable and the var. -#}
    {%- set value = mart_setting(name) | string | trim -%}
    {%- if not value.replace('.', '', 1).isdigit() -%}
        {{ exceptions.raise_compiler_error(mart_settings()[name][0] ~ " (var " ~ name ~ ") must be a number of at least 0, not '"
                                           ~ value ~ "'") }}
    {%- endif -%}
    {{ return(value) }}
{%- endmacro %}

{% macro mart_as_of() -%}
    {#- "Now" for trailing windows and forecasts: setting forecast_as_of (a timestamp) pins it, for tests. -#}
    {%- set pinned = mart_setting('forecast_as_of') -%}
    {%- if pinned -%}
        cast('{{ pinned }}' as {{ dbt.type_timestamp() }})
    {%- else -%}
        {{ utc_now() }}
    {%- endif -%}
{%- endmacro %}

{% macro utc_now() -%}
    {#- The current time as a timestamp without time zone in UTC, like every timestamp staging produces. -#}
    {{ return(adapter.dispatch('utc_now', 'inventory')()) }}
{%- endmacro %}

{% macro default__utc_now() -%}
    cast(timezone('UTC', now()) as {{ dbt.type_timestamp() }})
{%- endmacro %}

{% macro snowflake__utc_now() -%}
    cast(sysdate() as {{ dbt.type_timestamp() }})
{%- endmacro %}
