{#- KPI 12.5 Cost of maverick buying (KPI_CATALOGUE.md), USD: sum over off-contract PO lines for which a
    contract price was available to the buyer on the PO date (statewide or participating-addendum contracts
    of its state, agency contracts of its agency; the lowest such price) of (paid unit price - contract
    price) x quantity: the maverick_leakage lines of int_savings_lines with the sign turned. Net: lines
    bought below the contract price count negative. value = numerator, denominator = 1. Period: po_date.
    Grains A, C, M. -#}
with

savings_lines as (
    select * from {{ ref('int_savings_lines') }}
),

base as (
    select
        state_code,
        agency_id,
        category_code,
        fiscal_year,
        fiscal_month,
        cast(actual_amount - baseline_amount as decimal(38, 4)) as numerator,
        cast(1 as decimal(38, 4)) as denominator
    from savings_lines
    where method = 'maverick_leakage'
),

rolled_up as (
    {{ kpi_rollup('base', '12.5', 12, method='ratio', grains=['A', 'C', 'M']) }}
),

final as (
    select
        kpi_id,
        attribute_id,
        state_code,
        agency_id,
        category_code,
        supplier_id,
        fiscal_year,
        fiscal_month,
        numerator,
        cast(1 as {{ kpi_number_type() }}) as denominator,
        cast(numerator as {{ type_double() }}) as value,
        excluded_rows
    from rolled_up
)

select * from final
