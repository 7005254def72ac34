{#- The union of every registered KPI model except the meta-KPIs (macro union_computed_kpis), as they come:
    no logic here, so that the status logic (kpi_values_base) can be unit-tested without a fixture for every
    KPI model. Not published. -#}
{{ config(materialized='view') }}

with

kpi_rows as (
    -- one select per KPI model: adding a KPI adds no SQL here
    {{ union_computed_kpis() }}
),

final as (
    select
        {{ kpi_value_columns() }}
    from kpi_rows
)

select * from final
