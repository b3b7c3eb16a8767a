{% test unique_grain(model, columns) %}
{#- The model has at most one row per combination of `columns` (its stated grain); dbt_utils'
    unique_combination_of_columns, which we cannot install. -#}
select
    {{ columns | join(', ') }},
    count(*) as rows_per_key
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
