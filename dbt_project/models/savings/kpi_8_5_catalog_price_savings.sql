{#- KPI 8.5 Catalog price savings (KPI_CATALOGUE.md), USD: sum over catalog and punch-out PO lines of
    (median unit price of non-catalog lines (manual, p-card) of the same commodity + unit of measure +
    fiscal year - the line's unit price) x quantity. The median is over every state's non-catalog lines, each
    in its own state's fiscal year. value = numerator, denominator = 1. Grain C. -#}
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

noncatalog_medians as (
    select
        commodity_code,
        unit_of_measure,
        fiscal_year,
        {{ decimal_from_double(
            'percentile_cont(0.5) within group (order by cast(unit_price as ' ~ type_double() ~ '))', 18, 4
        ) }} as median_unit_price
    from priced_lines
    where not is_catalog
    group by
        commodity_code,
        unit_of_measure,
        fiscal_year
),

base as (
    select
        priced_lines.state_code,
        priced_lines.category_code,
        priced_lines.fiscal_year,
        cast((noncatalog_medians.median_unit_price - priced_lines.unit_price) * priced_lines.quantity as decimal(38, 4))
            as numerator,
        cast(1 as decimal(38, 4)) as denominator
    from priced_lines
    inner join noncatalog_medians
        on
            priced_lines.commodity_code = noncatalog_medians.commodity_code
            and priced_lines.unit_of_measure = noncatalog_medians.unit_of_measure
            and priced_lines.fiscal_year = noncatalog_medians.fiscal_year
    where priced_lines.is_catalog
),

rolled_up as (
    {{ kpi_rollup('base', '8.5', 8, method='ratio', grains=['C']) }}
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
