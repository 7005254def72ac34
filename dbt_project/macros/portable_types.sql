{#- An 8-byte float everywhere: dbt.type_float() is a 4-byte float on DuckDB and Spark. -#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double', 'procure')()) }}
{%- endmacro %}

{% macro default__type_double() -%}double{%- endmacro %}

{% macro postgres__type_double() -%}double precision{%- endmacro %}


{#- A cast that yields NULL instead of failing; dbt.safe_cast is not safe on DuckDB / Postgres. -#}
{% macro try_cast(expression, data_type) -%}
    {{ return(adapter.dispatch('try_cast', 'procure')(expression, data_type)) }}
{%- endmacro %}

{% macro default__try_cast(expression, data_type) -%}
    try_cast({{ expression }} as {{ data_type }})
{%- endmacro %}

{% macro postgres__try_cast(expression, data_type) -%}
    {#- Postgres has no try_cast: only text that looks like a number is cast, the rest becomes NULL. -#}
    case
        when cast({{ expression }} as text) ~ '^ *[-+]?[0-9]+([.][0-9]+)? *$'
            then cast({{ expression }} as {{ data_type }})
    end
{%- endmacro %}


{#- Global regex replace; patterns must be backslash-free (escaping differs by engine). -#}
{% macro regexp_replace_all(expression, pattern, replacement) -%}
    {{ return(adapter.dispatch('regexp_replace_all', 'procure')(expression, pattern, replacement)) }}
{%- endmacro %}

{% macro default__regexp_replace_all(expression, pattern, replacement) -%}
    regexp_replace({{ expression }}, '{{ pattern }}', '{{ replacement }}', 'g')
{%- endmacro %}

{% macro spark__regexp_replace_all(expression, pattern, replacement) -%}
    regexp_replace({{ expression }}, '{{ pattern }}', '{{ replacement }}')
{%- endmacro %}
