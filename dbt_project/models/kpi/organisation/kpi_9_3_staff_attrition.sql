{#- KPI 9.3: separations in the fiscal year (up to its reference date) / average headcount, the mean of the
    headcounts at the first day of the year and at its reference date. State x fiscal year only (catalogue
    grain S). -#}
with

staff_years as (
    select * from {{ ref('org_staff_fiscal_years') }}
),

base as (
    select
        state_code,
        fiscal_year,
        cast(case when is_separated_in_year then 1 else 0 end as decimal(18, 2)) as numerator,
        -- each headcount counts half: (headcount at start + headcount at the reference date) / 2
        cast(
            (case when is_in_post_at_start then 0.5 else 0 end)
            + (case when is_in_post_at_reference then 0.5 else 0 end)
            as decimal(18, 2)
        ) as denominator
    from staff_years
),

rolled as (
    {{ kpi_rollup('base', '9.3', 9, method='ratio', grains=[]) }}
),

final as (
    select * from rolled
    where denominator > 0
)

select * from final
