{#- KPI 2.4 Price-variance opportunity (KPI_CATALOGUE.md): spend above the median price of the same
    commodity + unit of measure + fiscal year / spend. numerator = sum over PO lines priced above that
    median of (unit price - median) x quantity; denominator = sum of line amounts of every priced line.
    The median is over every state's PO lines (the market the states share), each line in its own state's
    fiscal year. Grains C, A. -#}
with

po_lines as (
    select * from {{ ref('int_savings_po_lines') }}
),

priced_lines as (
    select *
    from po_lines
    where
        quantity > 0
        and unit_price is not null
        and commodity_code is not null
        and unit_of_measure is not null
        and fiscal_year is not null
),

medians as (
    select
        commodity_code,
        unit_of_measure,
        fiscal_year,
        {{ decimal_from_double(
            'percentile_cont(0.5) within group (order by cast(unit_price as ' ~ type_double() ~ '))', 18, 4
        ) }} as median_unit_price
    from priced_lines
    group by
        commodity_code,
        unit_of_measure,
        fiscal_year
),

base as (
    select
        priced_lines.state_code,
        priced_lines.agency_id,
        priced_lines.category_code,
        priced_lines.fiscal_year,
        case
            when priced_lines.unit_price > medians.median_unit_price
                then cast(
                        (priced_lines.unit_price - medians.median_unit_price) * priced_lines.quantity as decimal(38, 4)
                    )
            else cast(0 as decimal(38, 4))
        end as numerator,
        cast(priced_lines.line_amount as decimal(38, 4)) as denominator
    from priced_lines
    inner join medians
        on
            priced_lines.commodity_code = medians.commodity_code
            and priced_lines.unit_of_measure = medians.unit_of_measure
            and priced_lines.fiscal_year = medians.fiscal_year
),

final as (
    {{ kpi_rollup('base', '2.4', 2, method='ratio', grains=['C', 'A']) }}
)

select * from final
