{#- One row per active award, with the baseline its negotiated (projected) savings are measured against
    (KPI_CATALOGUE.md 4.3): the prior price x quantity where a prior contract price exists for items of
    its price list, else the solicitation's estimated value (a weaker baseline: estimates are often padded
    or stale). The award carries no quantities, so "prior price x quantity" is the award value repriced at
    the prior prices: award_value x sum(prior prices) / sum(award prices) over the items that have a prior
    price (one unit of each: the implied basket). The index-adjusted baseline of the catalogue needs a price
    index the data does not have. baseline_kind: prior_price, estimate, or NULL when there is no baseline.
    Period: award_date in the solicitation state's calendar; state, agency and category (UNSPSC family of
    a known commodity code) are the solicitation's. Intermediate (not published). -#}
{{ config(schema='intermediate') }}

with

awards as (
    select * from {{ ref('stg_raw__awards') }}
),

solicitations as (
    select * from {{ ref('stg_raw__solicitations') }}
),

states as (
    select * from {{ ref('stg_raw__states') }}
),

commodity_codes as (
    select * from {{ ref('stg_raw__commodity_codes') }}
),

award_item_prices as (
    select * from {{ ref('int_savings_award_item_prices') }}
),

prior_baskets as (
    select
        award_id,
        count(*) as prior_priced_items,
        sum(prior_price) as prior_basket,
        sum(contract_price) as award_basket
    from award_item_prices
    where prior_price is not null
    group by award_id
),

classified as (
    select
        awards.award_id,
        solicitations.solicitation_id,
        solicitations.state_code,
        solicitations.agency_id,
        commodity_codes.category_code,
        awards.award_date,
        {{ fiscal_year('awards.award_date', 'states.fiscal_year_start_month') }} as fiscal_year,
        {{ fiscal_month('awards.award_date', 'states.fiscal_year_start_month') }} as fiscal_month,
        awards.award_value,
        solicitations.estimated_value,
        coalesce(prior_baskets.prior_priced_items, 0) as prior_priced_items,
        case
            when prior_baskets.award_basket > 0 then 'prior_price'
            when solicitations.estimated_value > 0 then 'estimate'
        end as baseline_kind,
        case
            when prior_baskets.award_basket > 0
                then cast(
                        awards.award_value * prior_baskets.prior_basket / prior_baskets.award_basket
                        as decimal(18, 2)
                    )
            when solicitations.estimated_value > 0 then solicitations.estimated_value
        end as baseline_amount
    from awards
    inner join solicitations
        on awards.solicitation_id = solicitations.solicitation_id
    left join states
        on solicitations.state_code = states.state_code
    left join commodity_codes
        on solicitations.commodity_code = commodity_codes.commodity_code
    left join prior_baskets
        on awards.award_id = prior_baskets.award_id
    where awards.status = 'active'
),

final as (
    select
        award_id,
        solicitation_id,
        state_code,
        agency_id,
        category_code,
        award_date,
        fiscal_year,
        fiscal_month,
        award_value,
        estimated_value,
        prior_priced_items,
        baseline_kind,
        baseline_amount,
        cast(baseline_amount - award_value as decimal(18, 2)) as negotiated_savings,
        -- baseline per dollar awarded: turns an award price into a baseline unit price for items with no
        -- prior price of their own (realised savings)
        cast(baseline_amount as {{ type_double() }}) / nullif(cast(award_value as {{ type_double() }}), 0)
            as baseline_price_ratio
    from classified
)

select * from final
