{#- One row per bid, with its solicitation's state, agency, method and category, the resolved bidder
    (supplier_key), its rank by price among the solicitation's responsive bids (rank(): equal amounts share
    a rank; NULL for a non-responsive bid) and whether the bidder won an active award on the solicitation. -#}
with

bids as (
    select * from {{ ref('stg_raw__bids') }}
),

solicitations as (
    select * from {{ ref('fct_solicitations') }}
),

awards as (
    select * from {{ ref('stg_raw__awards') }}
),

suppliers as (
    select * from {{ ref('int_suppliers_resolved') }}
),

bidders as (
    select
        bids.bid_id,
        bids.solicitation_id,
        bids.supplier_id,
        suppliers.supplier_key,
        bids.submitted_date,
        bids.bid_amount,
        -- the bid's currency (never converted; none given = USD)
        coalesce(bids.currency, 'USD') as currency,
        bids.is_responsive
    from bids
    left join suppliers
        on bids.supplier_id = suppliers.supplier_id
),

winning_suppliers as (
    select distinct
        awards.solicitation_id,
        suppliers.supplier_key
    from awards
    inner join suppliers
        on awards.supplier_id = suppliers.supplier_id
    where awards.status = 'active'
),

responsive_ranks as (
    select
        bid_id,
        rank() over (
            partition by solicitation_id
            order by bid_amount asc nulls last
        ) as responsive_rank
    from bidders
    where is_responsive
),

final as (
    select
        bidders.bid_id,
        bidders.solicitation_id,
        solicitations.state_code,
        solicitations.agency_id,
        solicitations.method,
        solicitations.is_competitive,
        solicitations.category_code,
        solicitations.fiscal_year,
        bidders.supplier_id,
        bidders.supplier_key,
        bidders.submitted_date,
        cast(bidders.bid_amount as decimal(18, 2)) as bid_amount,
        bidders.currency,
        bidders.is_responsive,
        cast(responsive_ranks.responsive_rank as int) as responsive_rank,
        coalesce(responsive_ranks.responsive_rank = 1, false) as is_lowest_responsive,
        winning_suppliers.supplier_key is not null as is_winner
    from bidders
    left join solicitations
        on bidders.solicitation_id = solicitations.solicitation_id
    left join responsive_ranks
        on bidders.bid_id = responsive_ranks.bid_id
    left join winning_suppliers
        on
            bidders.solicitation_id = winning_suppliers.solicitation_id
            and bidders.supplier_key = winning_suppliers.supplier_key
)

select * from final
