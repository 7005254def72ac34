{#- KPI 9.1: procurement staff in post at the year's reference date holding a professional certification
    (CPPO, CPPB, NIGP-CPP, CPSM) / staff in post then (headcount, not FTE). Grains: state and agency x fiscal
    year (central-office staff have no agency: they count at the state grain only). -#}
with

staff_years as (
    select * from {{ ref('org_staff_fiscal_years') }}
),

base as (
    select
        state_code,
        agency_id,
        fiscal_year,
        cast(case when is_certified then 1 else 0 end as decimal(18, 2)) as numerator,
        cast(1 as decimal(18, 2)) as denominator
    from staff_years
    where is_in_post_at_reference
),

final as (
    {{ kpi_rollup('base', '9.1', 9, method='ratio', grains=['A']) }}
)

select * from final
