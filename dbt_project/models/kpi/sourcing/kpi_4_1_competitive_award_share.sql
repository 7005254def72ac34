{#- KPI 4.1 (docs/kpi_rules.md): Σ award_value of active awards whose solicitation is competitive (open or
    selective) / Σ award_value of active awards. Period: award_date; state, agency and category are the
    solicitation's (agency rows only where it is not NULL). An award whose solicitation's method is unknown
    counts neither way. -#}
with

awards as (
    select * from {{ ref('fct_awards') }}
),

base as (
    select
        state_code,
        agency_id,
        category_code,
        fiscal_year,
        case
            when is_competitive then award_value
            else cast(0 as decimal(18, 2))
        end as numerator,
        award_value as denominator
    from awards
    where
        is_active
        and is_competitive is not null
        and state_code is not null
        and fiscal_year is not null
),

final as (
    {{ kpi_rollup('base', '4.1', 4, method='ratio', grains=['A', 'C']) }}
)

select * from final
