{#- KPI 12.1 (docs/kpi_rules.md): Σ award_value of active awards whose solicitation is non-competitive
    (limited or direct) / Σ award_value of active awards. Period: award_date; state and agency are the
    solicitation's; supplier = the award's resolved supplier_key. -#}
with

awards as (
    select * from {{ ref('fct_awards') }}
),

base as (
    select
        state_code,
        agency_id,
        supplier_key as supplier_id,
        fiscal_year,
        case
            when method in ('limited', 'direct') then award_value
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
    {{ kpi_rollup('base', '12.1', 12, method='ratio', grains=['A', 'V']) }}
)

select * from final
