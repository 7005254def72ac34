{#- KPI 3.3: Σ award_value of active awards whose solicitation is an emergency procurement / Σ award_value
    of active awards. Period: award_date; state and agency are the solicitation's (as 4.1). -#}
with

awards as (
    select * from {{ ref('fct_awards') }}
),

base as (
    select
        state_code,
        agency_id,
        fiscal_year,
        fiscal_month,
        case
            when is_emergency then award_value
            else cast(0 as decimal(18, 2))
        end as numerator,
        award_value as denominator
    from awards
    where
        is_active
        and state_code is not null
        and fiscal_year is not null
),

final as (
    {{ kpi_rollup('base', '3.3', 3, method='ratio', grains=['A', 'M']) }}
)

select * from final
