{#- KPI 5.1 (docs/kpi_rules.md): contracts with original_value > 0; Σ (current_value - original_value) /
    Σ original_value. Period: start_date in the contract state's calendar; agency = the contract's (NULL for
    statewide and cooperative vehicles, so those appear at the state grain only); supplier = supplier_key. -#}
with

contracts as (
    select * from {{ ref('dim_contract') }}
),

base as (
    select
        state_code,
        agency_id,
        supplier_key as supplier_id,
        start_fiscal_year as fiscal_year,
        current_value - original_value as numerator,
        original_value as denominator
    from contracts
    where
        original_value > 0
        and start_fiscal_year is not null
),

final as (
    {{ kpi_rollup('base', '5.1', 5, method='ratio', grains=['A', 'V']) }}
)

select * from final
