{#- KPI 1.4: median days from the solicitation's issue_date to the signed_date of the contract that cites
    its (active) award, for contracts in the state's strategic categories. Period: the contract's signed_date
    (solicitation state's calendar); category = the solicitation's.
    Strategic set (configuration): the rows of seed strategic_categories for the state when it has any
    (state_code, category_code; all fiscal years); otherwise the state's top N categories by addressable
    purchases (amount > 0) in that fiscal year, N = var strategic_category_top_n (default 5), ties broken by
    category_code. -#}
with

awards as (
    select * from {{ ref('fct_awards') }}
),

payments as (
    select * from {{ ref('fct_payments') }}
),

configured as (
    select * from {{ ref('strategic_categories') }}
),

configured_categories as (
    select distinct
        cast(state_code as {{ dbt.type_string() }}) as state_code,
        cast(category_code as {{ dbt.type_string() }}) as category_code
    from configured
    where state_code is not null and category_code is not null
),

configured_states as (
    select distinct state_code
    from configured_categories
),

category_spend as (
    select
        state_code,
        fiscal_year,
        category_code,
        sum(amount) as addressable_spend
    from payments
    where
        is_addressable
        and amount > 0
        and category_code is not null
        and fiscal_year is not null
    group by state_code, fiscal_year, category_code
),

ranked_spend as (
    select
        state_code,
        fiscal_year,
        category_code,
        row_number() over (
            partition by state_code, fiscal_year
            order by addressable_spend desc nulls last, category_code asc nulls last
        ) as spend_rank
    from category_spend
),

signed_contracts as (
    select
        state_code,
        category_code,
        signed_fiscal_year as fiscal_year,
        {{ dbt.datediff('issue_date', 'contract_signed_date', 'day') }} as elapsed_days
    from awards
    where
        is_active
        and issue_date is not null
        and contract_signed_date is not null
        and state_code is not null
        and category_code is not null
        and signed_fiscal_year is not null
),

base as (
    select
        signed_contracts.state_code,
        signed_contracts.category_code,
        signed_contracts.fiscal_year,
        signed_contracts.elapsed_days
    from signed_contracts
    left join configured_states
        on signed_contracts.state_code = configured_states.state_code
    left join configured_categories
        on
            signed_contracts.state_code = configured_categories.state_code
            and signed_contracts.category_code = configured_categories.category_code
    left join ranked_spend
        on
            signed_contracts.state_code = ranked_spend.state_code
            and signed_contracts.fiscal_year = ranked_spend.fiscal_year
            and signed_contracts.category_code = ranked_spend.category_code
    where
        configured_categories.category_code is not null
        or (
            configured_states.state_code is null
            and ranked_spend.spend_rank <= {{ var('strategic_category_top_n', 5) }}
        )
),

final as (
    {{ kpi_rollup('base', '1.4', 1, method='median', grains=['C']) }}
)

select * from final
