{#- KPI 9.4: median days from a position's vacancy date to the hire date, over the hires of the fiscal year
    (up to its reference date) with a vacancy date. Grains: state and agency x fiscal year. -#}
with

staff_years as (
    select * from {{ ref('org_staff_fiscal_years') }}
),

base as (
    select
        state_code,
        agency_id,
        fiscal_year,
        days_to_fill as elapsed_days
    from staff_years
    where
        is_hired_in_year
        and days_to_fill is not null
),

final as (
    {{ kpi_rollup('base', '9.4', 9, method='median', grains=['A']) }}
)

select * from final
