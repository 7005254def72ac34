{#- The procurement category of docs/kpi_rules.md: the UNSPSC family, i.e. the first four digits of the
    commodity code followed by 0000. NULL for a missing or too-short code. -#}
{% macro unspsc_family(code_expr) -%}
    case
        when length({{ code_expr }}) >= 4
            then {{ dbt.concat(["substr(" ~ code_expr ~ ", 1, 4)", "'0000'"]) }}
    end
{%- endmacro %}
