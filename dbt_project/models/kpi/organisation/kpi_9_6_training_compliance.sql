{#- KPI 9.6: staff in post at the year's reference date whose mandatory ethics / procurement training is
    current then (training_current_until >= reference date) / staff in post then. Grains: state and agency x
    fiscal year. -#}
with

staff_years as (
    select * from {{ ref('org_staff_fiscal_years') }}
),

base as (
    select
        state_code,
        agency_id,
        fiscal_year,
        cast(case when is_training_current then 1 else 0 end as decimal(18, 2)) as numerator,
        cast(1 as decimal(18, 2)) as denominator
    from staff_years
    where is_in_post_at_reference
),

final as (
    {{ kpi_rollup('base', '9.6', 9, method='ratio', grains=['A']) }}
)

select * from final
