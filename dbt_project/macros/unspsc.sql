{#- The procurement category of docs/kpi_rules.md: the UNSPSC family, i.e. the first four digits of the
    commodity code followed by 0000. NULL for a missing or too-short code. -#}
{% macro unspsc_family(code_expr) -%}
    case
        when length({{ code_expr }}) >= 4
            then {{ dbt.concat(["substr(" ~ code_expr ~ ", 1, 4)", "'0000'"]) }}
    end
{%- endmacro %}


{#- The key a commodity code is known by in staging and the marts: a UNSPSC code as it is (the scheme empty
    or UNSPSC), any other scheme's code prefixed by its scheme ('NIGP:20500', 'WVU-CATEGORY:Lab supplies'), so
    codes of different schemes never collide. Transactions and stg_raw__commodity_codes use the same key. -#}
{% macro commodity_key(code_expr, scheme_expr) -%}
    case
        when {{ code_expr }} is null then null
        when {{ scheme_expr }} is null or upper({{ scheme_expr }}) = 'UNSPSC' then {{ code_expr }}
        else {{ dbt.concat(["upper(" ~ scheme_expr ~ ")", "':'", code_expr]) }}
    end
{%- endmacro %}
