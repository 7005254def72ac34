{#- The fiscal calendar of docs/kpi_rules.md. A fiscal year is named by the calendar year in which it ends;
    fiscal month 1 is the state's start month. start_month is an integer expression (1-12). -#}
{% macro fiscal_year(date_expr, start_month) -%}
    case
        when {{ start_month }} is null then cast(null as int)
        when {{ start_month }} > 1 and cast(extract(month from {{ date_expr }}) as int) >= {{ start_month }}
            then cast(extract(year from {{ date_expr }}) as int) + 1
        else cast(extract(year from {{ date_expr }}) as int)
    end
{%- endmacro %}

{% macro fiscal_month(date_expr, start_month) -%}
    {#- +12 keeps the left operand of % non-negative (sign rules of % differ by engine). -#}
    cast((((cast(extract(month from {{ date_expr }}) as int) - {{ start_month }} + 12) % 12) + 1) as int)
{%- endmacro %}

{% macro fiscal_quarter(fiscal_month_expr) -%}
    case
        when {{ fiscal_month_expr }} <= 3 then 1
        when {{ fiscal_month_expr }} <= 6 then 2
        when {{ fiscal_month_expr }} <= 9 then 3
        else 4
    end
{%- endmacro %}

{#- ISO day of week (1 = Monday .. 7 = Sunday) without engine-specific extract parts:
    days since Monday 2001-01-01, modulo 7. -#}
{% macro iso_day_of_week(date_expr) -%}
    ((({{ dbt.datediff("cast('2001-01-01' as date)", date_expr, 'day') }}) % 7 + 7) % 7) + 1
{%- endmacro %}
