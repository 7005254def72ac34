with

states as (
    select * from {{ ref('stg_raw__states') }}
),

agencies as (
    select * from {{ ref('stg_raw__agencies') }}
),

agency_counts as (
    select
        state_code,
        count(*) as agency_count
    from agencies
    group by state_code
),

final as (
    select
        states.state_code,
        states.state_name,
        states.fiscal_year_start_month,
        states.small_business_goal_pct,
        states.currency,
        coalesce(agency_counts.agency_count, 0) as agency_count
    from states
    left join agency_counts
        on states.state_code = agency_counts.state_code
)

select * from final
