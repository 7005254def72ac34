{#- KPI 2.2: distinct (resolved) suppliers paid / (addressable purchases in USD millions), per grain: a
    distinct count does not add up, so each grain is counted on its own (macro kpi_grain_expand). numerator
    = the supplier count, denominator = spend / 1e6 (exact: 8 decimals). Grains: state, agency and category x fiscal year.
    Spend = int_spend_lines, on the state-year's spend basis (paid, invoiced or committed; kpi_values.basis). -#}
with

spend as (
    select * from {{ ref('int_spend_lines') }}
),

purchases as (
    select
        state_code,
        agency_id,
        category_code,
        fiscal_year,
        supplier_key,
        amount
    from spend
    where
        fiscal_year is not null
        and amount > 0
        and is_addressable
),

expanded as (
    {{ kpi_grain_expand('purchases', ['A', 'C'], ['supplier_key', 'amount']) }}
),

counted as (
    select
        state_code,
        agency_id,
        category_code,
        supplier_id,
        fiscal_year,
        fiscal_month,
        count(distinct supplier_key) as supplier_count,
        sum(amount) as spend
    from expanded
    group by
        state_code,
        agency_id,
        category_code,
        supplier_id,
        fiscal_year,
        fiscal_month
),

final as (
    select
        cast('2.2' as {{ dbt.type_string() }}) as kpi_id,
        cast(2 as int) as attribute_id,
        state_code,
        agency_id,
        category_code,
        supplier_id,
        fiscal_year,
        fiscal_month,
        cast(supplier_count as {{ kpi_number_type() }}) as numerator,
        -- spend in USD millions, exact: cents x 1e-6 has 8 decimals
        cast(cast(spend as decimal(30, 2)) * cast(0.000001 as decimal(7, 6)) as {{ kpi_number_type() }})
            as denominator,
        {{ kpi_ratio('supplier_count', 'cast(spend as decimal(30, 2)) * cast(0.000001 as decimal(7, 6))') }}
            as value,
        cast(null as bigint) as excluded_rows
    from counted
)

select * from final
