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


{#- A double rounded to decimal(precision, scale) the same way on every engine: to the nearest multiple of
    10^-scale of the double's binary value, ties away from zero (DuckDB's cast). Spark's own cast rounds the
    double's shortest decimal text instead, so a median of 1.0001 and 1.0002 or an average that lands on a
    half unit of the last place could differ by one unit (the double is the same on both engines). Exact for
    |value| x 10^scale below 2^53. -#}
{% macro decimal_from_double(expression, precision, scale) -%}
    {{ return(adapter.dispatch('decimal_from_double', 'procure')(expression, precision, scale)) }}
{%- endmacro %}

{% macro default__decimal_from_double(expression, precision, scale) -%}
    cast({{ expression }} as decimal({{ precision }}, {{ scale }}))
{%- endmacro %}

{% macro spark__decimal_from_double(expression, precision, scale) -%}
    cast(
        cast(round(cast({{ expression }} as double) * {{ 10 ** scale }}, 0) as decimal(38, 0))
        {%- if scale > 0 %} * {{ '0.' ~ '0' * (scale - 1) ~ '1' }}{% endif %}
        as decimal({{ precision }}, {{ scale }})
    )
{%- endmacro %}


{#- The distinct values of a text column joined with `delimiter` (a SQL string literal) in sorted order, so that
    every engine writes the same text: dbt.listagg has no order on Spark. -#}
{% macro sorted_distinct_listagg(expression, delimiter) -%}
    {{ return(adapter.dispatch('sorted_distinct_listagg', 'procure')(expression, delimiter)) }}
{%- endmacro %}

{% macro default__sorted_distinct_listagg(expression, delimiter) -%}
    string_agg(distinct {{ expression }}, {{ delimiter }} order by {{ expression }})
{%- endmacro %}

{% macro spark__sorted_distinct_listagg(expression, delimiter) -%}
    array_join(sort_array(collect_set({{ expression }})), {{ delimiter }})
{%- endmacro %}
