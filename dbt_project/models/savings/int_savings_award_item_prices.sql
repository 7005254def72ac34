{#- One row per award_id x item_number x unit_of_measure priced on the award's contract(s): the price the
    award obtained (the earliest price row of the award's price list) and the prior price, i.e. the price of
    the same item and unit of measure on the most recent earlier price list usable by the same state (any
    of its contracts, or a master agreement through its participating addendum) that did not come from this
    award. prior_price is NULL for an item the state never bought on contract before. Active awards only.
    Intermediate (not published). -#}
{{ config(schema='intermediate') }}

with

awards as (
    select * from {{ ref('stg_raw__awards') }}
),

solicitations as (
    select * from {{ ref('stg_raw__solicitations') }}
),

item_prices as (
    select * from {{ ref('int_savings_contract_item_prices') }}
),

award_items as (
    select
        award_id,
        state_code,
        item_number,
        unit_of_measure,
        effective_from,
        contract_price
    from (
        select
            awards.award_id,
            solicitations.state_code,
            item_prices.item_number,
            item_prices.unit_of_measure,
            item_prices.effective_from,
            item_prices.contract_price,
            row_number() over (
                partition by awards.award_id, item_prices.item_number, item_prices.unit_of_measure
                order by
                    item_prices.effective_from asc nulls last,
                    item_prices.contract_price asc nulls last,
                    item_prices.contract_id asc
            ) as price_rank
        from awards
        inner join solicitations
            on awards.solicitation_id = solicitations.solicitation_id
        inner join item_prices
            -- the award's own price list (not the PAs that buy from it)
            on
                awards.award_id = item_prices.award_id
                and item_prices.contract_id = item_prices.pricing_contract_id
        where awards.status = 'active'
    ) as ranked
    where price_rank = 1
),

prior_prices as (
    select
        award_id,
        item_number,
        unit_of_measure,
        prior_price,
        prior_effective_from
    from (
        select
            award_items.award_id,
            award_items.item_number,
            award_items.unit_of_measure,
            item_prices.contract_price as prior_price,
            item_prices.effective_from as prior_effective_from,
            row_number() over (
                partition by award_items.award_id, award_items.item_number, award_items.unit_of_measure
                order by
                    item_prices.effective_from desc nulls last,
                    item_prices.contract_price asc nulls last,
                    item_prices.contract_id asc
            ) as prior_rank
        from award_items
        inner join item_prices
            on
                award_items.state_code = item_prices.state_code
                and award_items.item_number = item_prices.item_number
                and award_items.unit_of_measure = item_prices.unit_of_measure
                and award_items.effective_from > item_prices.effective_from
                and coalesce(item_prices.award_id, '') != award_items.award_id
    ) as ranked
    where prior_rank = 1
),

final as (
    select
        award_items.award_id,
        award_items.item_number,
        award_items.unit_of_measure,
        award_items.contract_price,
        prior_prices.prior_price,
        prior_prices.prior_effective_from
    from award_items
    left join prior_prices
        on
            award_items.award_id = prior_prices.award_id
            and award_items.item_number = prior_prices.item_number
            and award_items.unit_of_measure = prior_prices.unit_of_measure
)

select * from final
