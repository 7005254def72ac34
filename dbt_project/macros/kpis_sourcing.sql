{#- Registry of the sourcing, contract, cooperative and governance KPIs: "kpi_id:model" entries, comma-separated (see computed_kpis in kpi.sql). -#}
{% macro kpis_sourcing() -%}
{%- endmacro %}
