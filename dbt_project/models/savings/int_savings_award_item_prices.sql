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

-- The prior price is an as-of lookup: the best price row of the latest earlier date, skipping the award's own
-- rows. A join of every award item with every earlier price row of its item grew with the square of the price
-- lists (281 s at scale 10); window functions over one ordered sequence per state x item x unit give the same row.
ordered_prices as (
    -- ascending price_ord: the last row before a date is the one the old ranking put first
    -- (effective_from desc, contract_price asc nulls last, contract_id asc); a row without a date is never prior
    select
        state_code,
        item_number,
        unit_of_measure,
        effective_from,
        contract_price,
        coalesce(award_id, '') as award_key,
        row_number() over (
            partition by state_code, item_number, unit_of_measure
            order by
                effective_from asc,
                contract_price desc nulls first,
                contract_id desc
        ) as price_ord
    from item_prices
    where effective_from is not null
),

price_runs as (
    -- runs of consecutive rows (by price_ord) from one award; the row before a run is from another award
    select
        state_code,
        item_number,
        unit_of_measure,
        price_ord,
        award_key,
        min(price_ord) over (
            partition by state_code, item_number, unit_of_measure, award_key, run_number
        ) - 1 as before_run_ord
    from (
        select
            state_code,
            item_number,
            unit_of_measure,
            price_ord,
            award_key,
            price_ord - row_number() over (
                partition by state_code, item_number, unit_of_measure, award_key
                order by price_ord asc
            ) as run_number
        from ordered_prices
    ) as numbered
),

probes as (
    -- each award item in its item's sequence, before the price rows of its own date (strictly earlier only)
    select
        award_id,
        state_code,
        item_number,
        unit_of_measure,
        last_earlier_ord
    from (
        select
            award_id,
            state_code,
            item_number,
            unit_of_measure,
            max(price_ord) over (
                partition by state_code, item_number, unit_of_measure
                order by effective_from asc, is_price asc, price_ord asc nulls first
                rows between unbounded preceding and 1 preceding
            ) as last_earlier_ord
        from (
            select
                award_id,
                state_code,
                item_number,
                unit_of_measure,
                effective_from,
                0 as is_price,
                cast(null as bigint) as price_ord
            from award_items
            where effective_from is not null
            union all
            select
                cast(null as {{ dbt.type_string() }}) as award_id,
                state_code,
                item_number,
                unit_of_measure,
                effective_from,
                1 as is_price,
                price_ord
            from ordered_prices
        ) as ordered_sequence
    ) as placed
    where award_id is not null
),

resolved as (
    -- the last earlier row, or, when it is from the award itself, the row before that award's run
    select
        probes.award_id,
        probes.state_code,
        probes.item_number,
        probes.unit_of_measure,
        case
            when candidate.award_key != probes.award_id then candidate.price_ord
            else candidate.before_run_ord
        end as chosen_ord
    from probes
    inner join price_runs as candidate
        on
            probes.state_code = candidate.state_code
            and probes.item_number = candidate.item_number
            and probes.unit_of_measure = candidate.unit_of_measure
            and probes.last_earlier_ord = candidate.price_ord
),

prior_prices as (
    select
        resolved.award_id,
        resolved.item_number,
        resolved.unit_of_measure,
        chosen.contract_price as prior_price,
        chosen.effective_from as prior_effective_from
    from resolved
    inner join ordered_prices as chosen
        on
            resolved.state_code = chosen.state_code
            and resolved.item_number = chosen.item_number
            and resolved.unit_of_measure = chosen.unit_of_measure
            and resolved.chosen_ord = chosen.price_ord
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
