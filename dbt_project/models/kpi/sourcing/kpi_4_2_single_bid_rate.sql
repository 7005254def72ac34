{#- KPI 4.2 (docs/kpi_rules.md): competitive solicitations (open or selective) that are not cancelled and
    received at least one bid; count with exactly one bid / count. Every bid counts, responsive or not.
    Period: issue_date; state, agency and category are the solicitation's. -#}
with

solicitations as (
    select * from {{ ref('fct_solicitations') }}
),

base as (
    select
        state_code,
        agency_id,
        category_code,
        fiscal_year,
        cast(case when bid_count = 1 then 1 else 0 end as decimal(18, 0)) as numerator,
        cast(1 as decimal(18, 0)) as denominator
    from solicitations
    where
        is_competitive
        and status != 'cancelled'
        and bid_count >= 1
        and state_code is not null
        and fiscal_year is not null
),

final as (
    {{ kpi_rollup('base', '4.2', 4, method='ratio', grains=['A', 'C']) }}
)

select * from final
