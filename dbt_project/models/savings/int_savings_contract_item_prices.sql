{#- The price list every contract buys at, including participating addenda, which carry no price list of
    their own and buy at their master agreement's prices. One row per contract_id x item_number x
    effective_from, with the window in which the price could be used: the price row's effective dates cut
    to the buying contract's effective term (a PA's own dates limit its use of the master's prices).
    Intermediate (not published): the savings models' shared lookup. -#}
{{ config(schema='intermediate') }}

with

contracts as (
    select * from {{ ref('int_contracts_effective_terms') }}
),

contract_prices as (
    select * from {{ ref('stg_raw__contract_prices') }}
),

awards_of_contracts as (
    select
        contract_id,
        award_id
    from {{ ref('stg_raw__contracts') }}
),

buying_contracts as (
    select
        contracts.contract_id,
        contracts.state_code,
        contracts.agency_id,
        contracts.vehicle,
        contracts.start_date,
        contracts.effective_end_date,
        -- a participating addendum buys at its master agreement's prices, and its savings belong to the
        -- master's award
        case
            when contracts.vehicle = 'participating_addendum' then contracts.master_contract_id
            else contracts.contract_id
        end as pricing_contract_id
    from contracts
),

final as (
    select
        buying_contracts.contract_id,
        buying_contracts.pricing_contract_id,
        buying_contracts.state_code,
        buying_contracts.agency_id,
        buying_contracts.vehicle,
        pricing_awards.award_id,
        contract_prices.item_number,
        contract_prices.unit_of_measure,
        contract_prices.commodity_code,
        contract_prices.contract_price,
        contract_prices.list_price,
        contract_prices.effective_from,
        case
            when contract_prices.effective_from > buying_contracts.start_date then contract_prices.effective_from
            else buying_contracts.start_date
        end as usable_from,
        case
            when
                contract_prices.effective_to is not null
                and contract_prices.effective_to < buying_contracts.effective_end_date
                then contract_prices.effective_to
            else buying_contracts.effective_end_date
        end as usable_to
    from buying_contracts
    inner join contract_prices
        on buying_contracts.pricing_contract_id = contract_prices.contract_id
    left join awards_of_contracts as pricing_awards
        on buying_contracts.pricing_contract_id = pricing_awards.contract_id
)

select * from final
