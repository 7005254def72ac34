{#- Registry of the spend-level, talent, performance and risk KPIs: "kpi_id:model" entries, comma-separated (see computed_kpis in kpi.sql). -#}
{% macro kpis_organisation() -%}
{%- endmacro %}
