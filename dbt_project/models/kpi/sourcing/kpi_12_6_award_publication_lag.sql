{#- KPI 12.6: median days from award_date to the award notice's published_date, over active awards with a
    published_date. Period: award_date; state and agency are the solicitation's. -#}
with

awards as (
    select * from {{ ref('fct_awards') }}
),

base as (
    select
        state_code,
        agency_id,
        fiscal_year,
        award_to_publication_days as elapsed_days
    from awards
    where
        is_active
        and award_to_publication_days is not null
        and state_code is not null
        and fiscal_year is not null
),

final as (
    {{ kpi_rollup('base', '12.6', 12, method='median', grains=['A']) }}
)

select * from final
