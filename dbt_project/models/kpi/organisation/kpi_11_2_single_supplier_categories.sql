{#- KPI 11.2: categories with material addressable spend in the fiscal year paid to exactly one (resolved)
    supplier / categories with material addressable spend. Material = at least `kpi_material_category_share`
    (var, default 0.001 = 0.1%) of the state's addressable purchases in the year. Grains: state and
    category x fiscal year (a category's own row reads 1 when it is single-supplier, else 0).
    Spend = int_spend_lines, on the state-year's spend basis (paid, invoiced or committed; kpi_values.basis). -#}
{%- set material_share = var('kpi_material_category_share', 0.001) %}
with

spend as (
    select * from {{ ref('int_spend_lines') }}
),

purchases as (
    select
        state_code,
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

state_years as (
    select
        state_code,
        fiscal_year,
        sum(amount) as state_spend
    from purchases
    group by state_code, fiscal_year
),

categories as (
    select
        state_code,
        category_code,
        fiscal_year,
        count(distinct supplier_key) as supplier_count,
        sum(amount) as category_spend
    from purchases
    where category_code is not null
    group by state_code, category_code, fiscal_year
),

base as (
    select
        categories.state_code,
        categories.category_code,
        categories.fiscal_year,
        cast(case when categories.supplier_count = 1 then 1 else 0 end as decimal(18, 2)) as numerator,
        cast(1 as decimal(18, 2)) as denominator
    from categories
    inner join state_years
        on
            categories.state_code = state_years.state_code
            and categories.fiscal_year = state_years.fiscal_year
    where
        categories.category_spend
        >= cast(state_years.state_spend as {{ type_double() }}) * {{ material_share }}
),

final as (
    {{ kpi_rollup('base', '11.2', 11, method='ratio', grains=['C']) }}
)

select * from final
