{#- KPI 1.2: Σ amount of addressable purchases (amount > 0) in a category that had a sourcing event or a
    renegotiation in the buying state in the same fiscal year / Σ amount of addressable purchases.
    Events of a state x category x fiscal year (the state's calendar):
      - a solicitation issued (any status but cancelled) with a commodity in the category;
      - a contract of the state in the category signed (signed_date, else start_date: participating addenda
        carry no signed date), any vehicle;
      - an amendment of such a contract that changes its value or its term (renegotiation; administrative
        amendments do not count).
    Period: spend_date; category = the spend line's UNSPSC family. Spend without a category cannot be
    matched to a sourcing event: left out and counted in excluded_rows (a source without commodity codes
    reads no_data, never 0).
    Spend = int_spend_lines, on the state-year's spend basis (paid, invoiced or committed; kpi_values.basis). -#}
with

spend as (
    select * from {{ ref('int_spend_lines') }}
),

solicitations as (
    select * from {{ ref('fct_solicitations') }}
),

contracts as (
    select * from {{ ref('dim_contract') }}
),

amendments as (
    select * from {{ ref('fct_contract_amendments') }}
),

states as (
    select * from {{ ref('dim_state') }}
),

sourcing_events as (
    select
        state_code,
        category_code,
        fiscal_year
    from solicitations
    where status != 'cancelled'
    union all
    select
        contracts.state_code,
        contracts.category_code,
        {{ fiscal_year('coalesce(contracts.signed_date, contracts.start_date)', 'states.fiscal_year_start_month') }}
            as fiscal_year
    from contracts
    inner join states
        on contracts.state_code = states.state_code
    union all
    select
        state_code,
        category_code,
        fiscal_year
    from amendments
    where value_change != 0 or new_end_date is not null
),

sourced_categories as (
    select distinct
        state_code,
        category_code,
        fiscal_year
    from sourcing_events
    where
        state_code is not null
        and category_code is not null
        and fiscal_year is not null
),

base as (
    select
        spend.state_code,
        spend.category_code,
        spend.fiscal_year,
        case
            when sourced_categories.category_code is not null then spend.amount
            else cast(0 as decimal(18, 2))
        end as numerator,
        spend.amount as denominator
    from spend
    left join sourced_categories
        on
            spend.state_code = sourced_categories.state_code
            and spend.category_code = sourced_categories.category_code
            and spend.fiscal_year = sourced_categories.fiscal_year
    where
        spend.is_addressable
        and spend.amount > 0
        and spend.fiscal_year is not null
),

final as (
    {{ kpi_rollup('base', '1.2', 1, method='ratio', grains=['C'], exclude_when='category_code is null') }}
)

select * from final
