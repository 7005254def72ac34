{#- KPI 4.4: median days from the solicitation's issue_date to the award_date, over active awards.
    Period: award_date; state, agency and category are the solicitation's. The catalogue's third grain,
    method, has no column in kpi_values: fct_awards carries method for that split. -#}
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
        solicitation_to_award_days as elapsed_days
    from awards
    where
        is_active
        and solicitation_to_award_days is not null
        and state_code is not null
        and fiscal_year is not null
),

final as (
    {{ kpi_rollup('base', '4.4', 4, method='median', grains=['A', 'C']) }}
)

select * from final
