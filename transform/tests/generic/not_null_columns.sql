{% test not_null_columns(model, columns) %}
{#- No row of the model has a null in any of `columns`: one query and one node where dbt's not_null is one
    per column. The build runs every minute and its time is per node, so a model checks its columns at once;
    a failure lists the offending rows with the columns named. -#}
select
    {{ columns | join(', ') }}
from {{ model }}
where {% for column in columns %}{{ column }} is null{% if not loop.last %} or {% endif %}{% endfor %}
{% endtest %}
