{#- KPI 6.2: share of a category's addressable purchases paid to its 5 largest (resolved) suppliers: the
    top 5 are ranked within each category (spend desc, supplier_key as the tie-break), because a buyer's
    dependence on few suppliers is a property of a market, not of a state's whole spend.
    - state x category x fiscal year: top-5 spend of the category / spend of the category;
    - state x fiscal year and state x agency x fiscal year: the roll-up over categories, sum of each
      category's top-5 spend / sum of category spend (the spend-weighted mean of the category shares); an
      agency's top 5 are ranked within the agency's own purchases of the category.
    Spend lines without a category or whose supplier record does not resolve are left out and counted in
    excluded_rows of the roll-up rows.
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

placed as (
    select * from purchases
    where
        category_code is not null
        and supplier_key is not null
),

-- two scopes: the state (agency NULL) and each agency
expanded as (
    {{ kpi_grain_expand('placed', ['A'], ['category_code as purchase_category', 'supplier_key', 'amount']) }}
),

supplier_spend as (
    select
        state_code,
        agency_id,
        purchase_category as category_code,
        fiscal_year,
        supplier_key,
        sum(amount) as spend
    from expanded
    group by
        state_code,
        agency_id,
        purchase_category,
        fiscal_year,
        supplier_key
),

ranked as (
    select
        state_code,
        agency_id,
        category_code,
        fiscal_year,
        spend,
        row_number() over (
            partition by state_code, agency_id, category_code, fiscal_year
            order by spend desc, supplier_key asc
        ) as spend_rank
    from supplier_spend
),

categories as (
    select
        state_code,
        agency_id,
        category_code,
        fiscal_year,
        sum(case when spend_rank <= 5 then spend else 0 end) as top5_spend,
        sum(spend) as spend
    from ranked
    group by
        state_code,
        agency_id,
        category_code,
        fiscal_year
),

category_rows as (
    select
        state_code,
        agency_id,
        category_code,
        fiscal_year,
        top5_spend,
        spend,
        cast(0 as bigint) as excluded_rows
    from categories
    where agency_id is null
),

excluded as (
    {{ kpi_grain_expand('purchases', ['A'], ['category_code as purchase_category', 'supplier_key']) }}
),

excluded_counts as (
    select
        state_code,
        agency_id,
        fiscal_year,
        count(case when purchase_category is null or supplier_key is null then 1 end) as excluded_rows
    from excluded
    group by
        state_code,
        agency_id,
        fiscal_year
),

rolled as (
    select
        state_code,
        agency_id,
        fiscal_year,
        sum(top5_spend) as top5_spend,
        sum(spend) as spend
    from categories
    group by
        state_code,
        agency_id,
        fiscal_year
),

rollup_rows as (
    select
        excluded_counts.state_code,
        excluded_counts.agency_id,
        cast(null as {{ dbt.type_string() }}) as category_code,
        excluded_counts.fiscal_year,
        rolled.top5_spend,
        rolled.spend,
        cast(excluded_counts.excluded_rows as bigint) as excluded_rows
    from excluded_counts
    left join rolled
        on
            excluded_counts.state_code = rolled.state_code
            and excluded_counts.fiscal_year = rolled.fiscal_year
            and coalesce(excluded_counts.agency_id, '') = coalesce(rolled.agency_id, '')
),

shares as (
    select * from rollup_rows
    union all
    select * from category_rows
),

final as (
    select
        cast('6.2' as {{ dbt.type_string() }}) as kpi_id,
        cast(6 as int) as attribute_id,
        state_code,
        agency_id,
        category_code,
        cast(null as {{ dbt.type_string() }}) as supplier_id,
        fiscal_year,
        cast(null as int) as fiscal_month,
        cast(top5_spend as {{ kpi_number_type() }}) as numerator,
        cast(spend as {{ kpi_number_type() }}) as denominator,
        {{ kpi_ratio('top5_spend', 'spend') }} as value,
        excluded_rows
    from shares
)

select * from final
