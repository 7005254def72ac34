{#- Registry of the risk KPIs derived from red flags and exclusions: "kpi_id:model" entries, comma-separated (see computed_kpis in kpi.sql). -#}
{% macro kpis_risk() -%}
{%- endmacro %}
