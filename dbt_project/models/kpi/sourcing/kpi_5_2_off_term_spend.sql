{#- KPI 5.2: Σ amount of purchases (amount > 0) on a known contract whose spend_date is outside the
    contract's term (before start_date or after the effective end, amendments applied) / Σ amount of
    purchases on a known contract. Period: spend_date in the buying state's calendar; agency and supplier
    (supplier_key) are the spend line's.
    Spend = int_spend_lines, on the state-year's spend basis (paid, invoiced or committed; kpi_values.basis). -#}
with

spend as (
    select * from {{ ref('int_spend_lines') }}
),

base as (
    select
        state_code,
        agency_id,
        supplier_key as supplier_id,
        fiscal_year,
        fiscal_month,
        case
            when is_within_contract_term then cast(0 as decimal(18, 2))
            else amount
        end as numerator,
        amount as denominator
    from spend
    where
        is_on_contract
        -- refunds and voids are not purchases (docs/kpi_rules.md)
        and amount > 0
        and fiscal_year is not null
),

final as (
    {{ kpi_rollup('base', '5.2', 5, method='ratio', grains=['A', 'V', 'M']) }}
)

select * from final
