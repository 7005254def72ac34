{#- One row per purchase-order line of a PO that was not cancelled (from fct_purchase_order_lines: fiscal
    period of po_date in the buying state's calendar, category, channel, the contract price in effect for
    the line's item + unit of measure, a participating addendum buying at its master's prices), with what
    the savings methods add: whether the cited contract is cooperative (cooperative_master or
    participating_addendum), the award behind the price list the line was priced on, the lowest contract
    price the buyer could have had for an off-contract line (statewide or PA contracts of its state, agency
    contracts of its agency, usable on the PO date), and the first positive payment of the PO (its fiscal
    period is when savings are realised). Intermediate (not published). -#}
{{ config(schema='intermediate') }}

with

po_lines as (
    select * from {{ ref('fct_purchase_order_lines') }}
),

states as (
    select * from {{ ref('stg_raw__states') }}
),

contracts as (
    select * from {{ ref('stg_raw__contracts') }}
),

item_prices as (
    select * from {{ ref('int_savings_contract_item_prices') }}
),

payments as (
    select * from {{ ref('stg_raw__payments') }}
),

lines as (
    select *
    from po_lines
    where coalesce(po_status, '') != 'cancelled'
),

off_contract_lines as (
    select
        po_id,
        line_number,
        state_code,
        agency_id,
        po_date,
        item_number,
        unit_of_measure
    from lines
    where not is_on_contract
),

available_price_candidates as (
    -- two equi-joins (state-wide / PA contracts of the line's state, agency contracts of its agency) rather
    -- than one join on "state or agency": the OR join matched every price row of the item + unit of measure
    -- first; a row matching both sides is listed twice, which min() does not mind
    {%- set price_sides = [
        ('state_code', "in ('statewide', 'participating_addendum')"),
        ('agency_id', "= 'agency'"),
    ] %}
    {%- for key_column, vehicles in price_sides %}
        {% if not loop.first %}union all{% endif %}
        select
            off_contract_lines.po_id,
            off_contract_lines.line_number,
            item_prices.contract_price
        from off_contract_lines
        inner join item_prices
            on
                off_contract_lines.item_number = item_prices.item_number
                and off_contract_lines.unit_of_measure = item_prices.unit_of_measure
                and off_contract_lines.{{ key_column }} = item_prices.{{ key_column }}
                and off_contract_lines.po_date >= item_prices.usable_from
                and off_contract_lines.po_date <= item_prices.usable_to
        where item_prices.vehicle {{ vehicles }}
    {%- endfor %}
),

available_prices as (
    -- off-contract lines: the best contract price the buyer could have used that day
    select
        po_id,
        line_number,
        min(contract_price) as available_contract_price
    from available_price_candidates
    group by
        po_id,
        line_number
),

first_payments as (
    select
        po_id,
        min(payment_date) as first_paid_date
    from payments
    where
        po_id is not null
        and amount > 0
    group by po_id
),

final as (
    select
        lines.po_id,
        lines.line_number,
        lines.state_code,
        lines.agency_id,
        lines.po_date,
        lines.fiscal_year,
        lines.fiscal_month,
        lines.item_number,
        lines.commodity_code,
        lines.category_code,
        lines.unit_of_measure,
        lines.quantity,
        lines.unit_price,
        lines.line_amount,
        lines.channel,
        lines.is_catalog_channel as is_catalog,
        case when lines.is_on_contract then lines.contract_id end as contract_id,
        lines.contract_vehicle,
        coalesce(lines.contract_vehicle in ('cooperative_master', 'participating_addendum'), false)
            as is_cooperative,
        lines.price_contract_id,
        lines.contract_price,
        pricing_contracts.award_id,
        available_prices.available_contract_price,
        first_payments.first_paid_date,
        {{ fiscal_year('first_payments.first_paid_date', 'states.fiscal_year_start_month') }} as paid_fiscal_year,
        {{ fiscal_month('first_payments.first_paid_date', 'states.fiscal_year_start_month') }} as paid_fiscal_month
    from lines
    left join states
        on lines.state_code = states.state_code
    left join contracts as pricing_contracts
        on lines.price_contract_id = pricing_contracts.contract_id
    left join available_prices
        on
            lines.po_id = available_prices.po_id
            and lines.line_number = available_prices.line_number
    left join first_payments
        on lines.po_id = first_payments.po_id
)

select * from final
