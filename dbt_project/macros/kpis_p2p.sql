{#- Registry of the procure-to-pay, demand, technology and supplier-operations KPIs: "kpi_id:model" entries, comma-separated (see computed_kpis in kpi.sql). -#}
{% macro kpis_p2p() -%}
{%- endmacro %}
