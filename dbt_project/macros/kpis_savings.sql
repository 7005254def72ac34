{#- Registry of the savings KPIs (price-based and realisation): "kpi_id:model" entries, comma-separated (see computed_kpis in kpi.sql). -#}
{% macro kpis_savings() -%}
{%- endmacro %}
