{#- Fails on every combination of the columns that occurs more than once. NULLs count as values
    (GROUP BY puts NULLs together), which is what KPI grain keys need: agency_id NULL means "all". -#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
    select
        {% for column in combination_of_columns -%}
            {{ column }},
        {% endfor -%}
        count(*) as n_rows
    from {{ model }}
    group by
        {% for column in combination_of_columns -%}
            {{ loop.index }}{{ "," if not loop.last }}
        {% endfor %}
    having count(*) > 1
{% endtest %}
