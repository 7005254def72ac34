{#- Every registered KPI except the meta-KPIs, at every grain, with its target and status: the rows that
    kpi_values publishes and that the meta-KPIs 10.3 and 10.5 are computed from (a separate model so that
    kpi_values can add them without a cycle). The KPI rows: kpi_values_union; targets and status: macro
    kpi_status_ctes. Not published: read kpi_values. -#}
with

definitions as (
    select * from {{ ref('kpi_definitions') }}
),

targets as (
    select * from {{ ref('kpi_targets') }}
),

spend_basis as (
    select * from {{ ref('int_spend_basis') }}
),

inputs_missing as (
    select * from {{ ref('int_kpi_inputs_missing') }}
),

kpi_rows as (
    select * from {{ ref('kpi_values_union') }}
),

{{ kpi_status_ctes('kpi_rows') }},

final as (
    select
        {{ kpi_value_columns(with_status=true) }}
    from kpi_status
)

select * from final
