{#- KPI 10.1 Savings realisation (KPI_CATALOGUE.md): savings realised in payments / negotiated (projected)
    savings, by award cohort. Population: active awards with a baseline and positive negotiated savings
    (baseline - award value > 0; a ratio to a negative or zero projection means nothing). numerator = sum of
    the realised_in_payments lines of the award (paid PO lines on its contracts, participating addenda
    included, at any later date: (baseline unit price - paid unit price) x quantity); denominator = the
    award's negotiated savings. State, category and fiscal year are the award's (solicitation state,
    UNSPSC family of its commodity, award_date), so a year's realisation keeps growing while its contracts
    are used. Grain C. -#}
with

savings_lines as (
    select * from {{ ref('int_savings_lines') }}
),

negotiated as (
    select
        award_id,
        state_code,
        category_code,
        fiscal_year,
        savings_amount as negotiated_savings
    from savings_lines
    where
        method = 'negotiated_vs_baseline'
        and savings_amount > 0
        -- an award flagged as a bid price anomaly (RF10) is not in the headline
        and price_anomaly_rule is null
),

realised as (
    select
        award_id,
        sum(savings_amount) as realised_savings
    from savings_lines
    where
        price_anomaly_rule is null
        and method = 'realised_in_payments'
    group by award_id
),

base as (
    select
        negotiated.state_code,
        negotiated.category_code,
        negotiated.fiscal_year,
        cast(coalesce(realised.realised_savings, 0) as decimal(38, 4)) as numerator,
        cast(negotiated.negotiated_savings as decimal(38, 4)) as denominator
    from negotiated
    left join realised
        on negotiated.award_id = realised.award_id
),

final as (
    {{ kpi_rollup('base', '10.1', 10, method='ratio', grains=['C']) }}
)

select * from final
