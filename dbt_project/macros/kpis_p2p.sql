{#- Registry of the procure-to-pay, demand, technology and supplier-operations KPIs: "kpi_id:model"
    entries, comma-separated (see computed_kpis in kpi.sql). -#}
{% macro kpis_p2p() -%}
    3.2:kpi_3_2_small_order_rate,
    3.4:kpi_3_4_requisition_approval_time,
    5.4:kpi_5_4_price_compliance,
    5.5:kpi_5_5_overpayment_vs_contract_price,
    6.1:kpi_6_1_on_time_delivery,
    6.4:kpi_6_4_supplier_lead_time,
    6.5:kpi_6_5_early_payment_discount_capture,
    6.6:kpi_6_6_spend_with_unregistered_suppliers,
    7.1:kpi_7_1_requisition_to_po_time,
    7.3:kpi_7_3_on_time_payment_rate,
    7.4:kpi_7_4_first_pass_match_rate,
    7.5:kpi_7_5_po_before_invoice,
    7.6:kpi_7_6_late_payment_interest,
    8.1:kpi_8_1_catalog_share,
    8.2:kpi_8_2_e_invoice_share,
    8.4:kpi_8_4_catalog_cycle_time_advantage,
    8.6:kpi_8_6_electronic_approval_compliance,
    12.3:kpi_12_3_after_the_fact_po_rate
{%- endmacro %}
