{#- Registry of the savings KPIs (price-based and realisation): "kpi_id:model" entries, comma-separated
    (see computed_kpis in kpi.sql). The models live in models/savings/. -#}
{% macro kpis_savings() -%}
    2.4:kpi_2_4_price_variance_opportunity,
    3.1:kpi_3_1_price_volume_effect,
    4.3:kpi_4_3_negotiated_savings,
    8.5:kpi_8_5_catalog_price_savings,
    9.5:kpi_9_5_savings_per_procurement_fte,
    10.1:kpi_10_1_savings_realisation,
    12.5:kpi_12_5_cost_of_maverick_buying
{%- endmacro %}
