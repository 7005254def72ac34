{#- KPI 2.3: supplier concentration within a category, as a Herfindahl-Hirschman index of addressable
    purchases over (resolved) suppliers: sum over suppliers of (100 x supplier share of the category's
    spend)^2, 0..10000 (above 1800 = highly concentrated). Concentration means "how few suppliers a buyer of
    this category can turn to": an HHI over all of a state's spend mixes unrelated markets and reads
    "unconcentrated" while most categories are not.
    - state x category x fiscal year: numerator = 10000 x sum(supplier spend^2), denominator = (category
      spend)^2, value = numerator / denominator;
    - state x fiscal year: the spend-weighted mean of the category indices: numerator = sum over
      categories of (category spend x category HHI, rounded to a whole unit), denominator = sum of category
      spend.
    Spend lines without a category or whose supplier record does not resolve cannot be placed in a market: they
    are left out and counted in excluded_rows of the state x fiscal year row.
    Spend = int_spend_lines, on the state-year's spend basis (paid, invoiced or committed; kpi_values.basis). -#}
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

supplier_spend as (
    select
        state_code,
        category_code,
        fiscal_year,
        supplier_key,
        cast(sum(amount) as decimal(38, 2)) as spend
    from purchases
    where
        category_code is not null
        and supplier_key is not null
    group by
        state_code,
        category_code,
        fiscal_year,
        supplier_key
),

categories as (
    select
        state_code,
        category_code,
        fiscal_year,
        -- exact DECIMAL: a sum of doubles depends on the order of a parallel aggregation, and the published
        -- numerator must be the same on every run
        sum(cast(spend * spend as decimal(38, 4))) as spend_squares,
        sum(spend) as spend
    from supplier_spend
    group by
        state_code,
        category_code,
        fiscal_year
),

category_rows as (
    select
        state_code,
        category_code,
        fiscal_year,
        cast(10000 * spend_squares as {{ kpi_number_type() }}) as numerator,
        cast(spend * spend as {{ kpi_number_type() }}) as denominator,
        -- 10000 x (a / b) rather than (10000 a) / b: a <= b, so the double quotient is at most 1 and the
        -- index at most 10000
        10000 * (
            cast(spend_squares as {{ type_double() }}) / nullif(cast(spend * spend as {{ type_double() }}), 0)
        ) as value,
        cast(0 as bigint) as excluded_rows
    from categories
),

excluded as (
    select
        state_code,
        fiscal_year,
        count(case when category_code is null or supplier_key is null then 1 end) as excluded_rows
    from purchases
    group by
        state_code,
        fiscal_year
),

weighted as (
    select
        state_code,
        fiscal_year,
        -- category spend x category HHI = 10000 x sum(supplier spend^2) / category spend, a quotient that no
        -- engine stores exactly: computed in double and rounded to a whole USD x index point per category
        -- (the same in every engine; relative error below 1e-12 of a state's figure), then summed exactly
        sum(
            cast(
                round(10000 * cast(spend_squares as {{ type_double() }}) / cast(spend as {{ type_double() }}), 0)
                as decimal(38, 0)
            )
        ) as weighted_index,
        sum(spend) as spend
    from categories
    group by
        state_code,
        fiscal_year
),

state_rows as (
    select
        excluded.state_code,
        cast(null as {{ dbt.type_string() }}) as category_code,
        excluded.fiscal_year,
        cast(weighted.weighted_index as {{ kpi_number_type() }}) as numerator,
        cast(weighted.spend as {{ kpi_number_type() }}) as denominator,
        -- a mean of indices of at most 10000; least() absorbs the rounding of the 8-decimal numerator. least()
        -- skips NULLs, so a state-year whose purchases are all excluded (no category) would read 10000: the
        -- case keeps it NULL (no_data)
        case
            when weighted.spend > 0
                then least(10000, {{ kpi_ratio('weighted.weighted_index', 'weighted.spend') }})
        end as value,
        cast(excluded.excluded_rows as bigint) as excluded_rows
    from excluded
    left join weighted
        on
            excluded.state_code = weighted.state_code
            and excluded.fiscal_year = weighted.fiscal_year
),

concentration as (
    select * from state_rows
    union all
    select * from category_rows
),

final as (
    select
        cast('2.3' as {{ dbt.type_string() }}) as kpi_id,
        cast(2 as int) as attribute_id,
        state_code,
        cast(null as {{ dbt.type_string() }}) as agency_id,
        category_code,
        cast(null as {{ dbt.type_string() }}) as supplier_id,
        fiscal_year,
        cast(null as int) as fiscal_month,
        numerator,
        denominator,
        value,
        excluded_rows
    from concentration
)

select * from final
