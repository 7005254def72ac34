{#- KPI 3.1 Price vs volume effect (KPI_CATALOGUE.md), reported as its price effect in USD:
    sum over PO lines of (p1 - p0) x q1, where p1 is the line's unit price and q1 its quantity, and p0 the
    buying state's average unit price of the same item + unit of measure in the previous fiscal year (the
    historical_price lines of int_savings_lines, with the sign turned: a positive value means prices rose).
    value = numerator, denominator = 1. The volume effect sum(p0 x (q1 - q0)) is not written to kpi_values
    (one value per row); items not bought in the previous year have no p0 and are left out. Grains C, A. -#}
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
        cast(actual_amount - baseline_amount as decimal(38, 4)) as numerator,
        cast(1 as decimal(38, 4)) as denominator
    from savings_lines
    where method = 'historical_price'
),

rolled_up as (
    {{ kpi_rollup('base', '3.1', 3, method='ratio', grains=['C', 'A']) }}
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
