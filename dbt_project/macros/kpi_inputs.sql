{#- What a source delivers, per state: one select per input of seed kpi_inputs, each counting the rows of
    the input (a relation and a condition) by state. An input without a state column (exclusions,
    suppliers) is counted once with state_code NULL and serves every state. `inputs` is a list of
    [input name, relation, condition, state column or none]. Used by int_input_availability. -#}
{% macro input_availability(inputs) -%}
    {%- for name, relation, condition, state_column in inputs %}
    select
        cast({{ state_column if state_column else 'null' }} as {{ dbt.type_string() }}) as state_code,
        cast('{{ name }}' as {{ dbt.type_string() }}) as input,
        count(*) as row_count
    from {{ relation }}
    where {{ condition }}
    {%- if state_column %}
    group by {{ state_column }}
    {%- endif %}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
{%- endmacro %}
