{#- Registry of the sourcing, contract, cooperative and governance KPIs: "kpi_id:model" entries, comma-separated (see computed_kpis in kpi.sql). -#}
{% macro kpis_sourcing() -%}
    1.2:kpi_1_2_sourced_share,
    1.4:kpi_1_4_time_to_contract_strategic,
    2.1:kpi_2_1_statewide_coop_vehicle_use,
    2.5:kpi_2_5_renewal_lead_time,
    3.3:kpi_3_3_emergency_award_share,
    4.1:kpi_4_1_competitive_award_share,
    4.2:kpi_4_2_single_bid_rate,
    4.4:kpi_4_4_solicitation_to_award_time,
    5.1:kpi_5_1_contract_value_growth,
    5.2:kpi_5_2_off_term_spend,
    5.3:kpi_5_3_ceiling_overruns,
    5.6:kpi_5_6_award_to_signature_time,
    8.3:kpi_8_3_e_submission_share,
    11.4:kpi_11_4_expiry_exposure,
    12.1:kpi_12_1_non_competitive_share,
    12.4:kpi_12_4_coop_fee_compliance,
    12.6:kpi_12_6_award_publication_lag
{%- endmacro %}
