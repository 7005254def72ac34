{#- Registry of the risk KPIs derived from red flags and exclusions: "kpi_id:model" entries, comma-separated (see computed_kpis in kpi.sql). -#}
{% macro kpis_risk() -%}
    11.1:kpi_11_1_spend_with_excluded_parties,
    11.3:kpi_11_3_red_flag_incidence,
    11.6:kpi_11_6_duplicate_payment_leakage
{%- endmacro %}
