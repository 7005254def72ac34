{#- Registry of the spend-level, talent, performance and risk KPIs: "kpi_id:model" entries, comma-separated (see computed_kpis in kpi.sql). -#}
{% macro kpis_organisation() -%}
    1.3:kpi_1_3_cost_of_procurement,
    2.2:kpi_2_2_active_suppliers_per_million,
    2.3:kpi_2_3_supplier_concentration_hhi,
    6.2:kpi_6_2_top5_supplier_share,
    6.3:kpi_6_3_small_diverse_business_share,
    9.1:kpi_9_1_certified_staff_share,
    9.2:kpi_9_2_spend_per_procurement_fte,
    9.3:kpi_9_3_staff_attrition,
    9.4:kpi_9_4_time_to_fill_positions,
    9.6:kpi_9_6_training_compliance,
    10.2:kpi_10_2_data_coverage,
    10.4:kpi_10_4_data_latency,
    11.2:kpi_11_2_single_supplier_categories,
    11.5:kpi_11_5_exclusion_response_time
{%- endmacro %}


{#- The meta-KPIs: computed from the other KPIs' rows (kpi_values_base), so kpi_values adds them after the
    union of every other registry (no cycle). Same "kpi_id:model" format. -#}
{% macro kpis_meta() -%}
    10.3:kpi_10_3_kpi_coverage,
    10.5:kpi_10_5_kpis_on_target
{%- endmacro %}
