{#- One row per solicitation (tender), with its method, bid counts and award outcome. Periods are the
    fiscal periods of issue_date (else close_date, for sources that publish only the deadline) in the
    solicitation state's calendar. Bid counts count every bid received (responsive or not: KPI 4.2 counts
    bids); the lowest and second-lowest bids are among responsive bids. -#}
{%- set period_date = 'coalesce(solicitations.issue_date, solicitations.close_date)' %}
with

solicitations as (
    select * from {{ ref('stg_raw__solicitations') }}
),

bids as (
    select * from {{ ref('stg_raw__bids') }}
),

awards as (
    select * from {{ ref('stg_raw__awards') }}
),

states as (
    select * from {{ ref('stg_raw__states') }}
),

commodity_codes as (
    select * from {{ ref('stg_raw__commodity_codes') }}
),

methods as (
    select * from {{ ref('dim_procurement_method') }}
),

ranked_responsive_bids as (
    select
        solicitation_id,
        bid_amount,
        row_number() over (
            partition by solicitation_id
            order by bid_amount asc nulls last, bid_id asc nulls last
        ) as amount_rank
    from bids
    where is_responsive
),

bid_summary as (
    select
        bids.solicitation_id,
        count(*) as bid_count,
        sum(case when bids.is_responsive then 1 else 0 end) as responsive_bid_count
    from bids
    group by bids.solicitation_id
),

responsive_prices as (
    select
        solicitation_id,
        min(case when amount_rank = 1 then bid_amount end) as lowest_bid_amount,
        min(case when amount_rank = 2 then bid_amount end) as second_lowest_bid_amount
    from ranked_responsive_bids
    group by solicitation_id
),

award_summary as (
    select
        solicitation_id,
        count(*) as active_award_count,
        sum(award_value) as awarded_value,
        min(award_date) as first_award_date
    from awards
    where status = 'active'
    group by solicitation_id
),

final as (
    select
        solicitations.solicitation_id,
        solicitations.state_code,
        solicitations.agency_id,
        solicitations.title,
        solicitations.method,
        -- NULL when the method is unknown: never counted as "not competitive"
        methods.is_competitive,
        solicitations.commodity_code,
        commodity_codes.category_code,
        solicitations.status,
        solicitations.status = 'cancelled' as is_cancelled,
        solicitations.issue_date,
        solicitations.close_date,
        {{ dbt.datediff('solicitations.issue_date', 'solicitations.close_date', 'day') }} as submission_days,
        {{ fiscal_year(period_date, 'states.fiscal_year_start_month') }} as fiscal_year,
        {{ fiscal_month(period_date, 'states.fiscal_year_start_month') }} as fiscal_month,
        cast(solicitations.estimated_value as decimal(18, 2)) as estimated_value,
        -- the solicitation's currency (never converted; none given = USD)
        coalesce(solicitations.currency, 'USD') as currency,
        solicitations.is_emergency,
        solicitations.is_electronic_submission,
        cast(coalesce(bid_summary.bid_count, 0) as int) as bid_count,
        cast(coalesce(bid_summary.responsive_bid_count, 0) as int) as responsive_bid_count,
        coalesce(bid_summary.bid_count, 0) = 1 as is_single_bid,
        cast(responsive_prices.lowest_bid_amount as decimal(18, 2)) as lowest_bid_amount,
        cast(responsive_prices.second_lowest_bid_amount as decimal(18, 2)) as second_lowest_bid_amount,
        award_summary.solicitation_id is not null as is_awarded,
        cast(coalesce(award_summary.active_award_count, 0) as int) as active_award_count,
        cast(award_summary.awarded_value as decimal(18, 2)) as awarded_value,
        award_summary.first_award_date
    from solicitations
    left join states
        on solicitations.state_code = states.state_code
    left join commodity_codes
        on solicitations.commodity_code = commodity_codes.commodity_code
    left join methods
        on solicitations.method = methods.procurement_method
    left join bid_summary
        on solicitations.solicitation_id = bid_summary.solicitation_id
    left join responsive_prices
        on solicitations.solicitation_id = responsive_prices.solicitation_id
    left join award_summary
        on solicitations.solicitation_id = award_summary.solicitation_id
)

select * from final
