{#- RF17 off-contract price (docs/red_flags.md): a line of a PO that cites a contract, where a
    contract_prices row of that contract with the line's item_number and unit_of_measure is in effect on
    the po_date (effective_from <= po_date <= coalesce(effective_to, infinity)) and the line's unit_price
    exceeds contract_price x (1 + tolerance). With several price rows in effect, the lowest is compared
    (the line is flagged when any of them is exceeded). amount = the excess, (unit_price - contract_price)
    x quantity. -#}
with

purchase_orders as (
    select * from {{ ref('stg_raw__purchase_orders') }}
),

purchase_order_lines as (
    select * from {{ ref('stg_raw__purchase_order_lines') }}
),

contract_prices as (
    select * from {{ ref('stg_raw__contract_prices') }}
),

rule_parameters as (
    {{ red_flag_parameters('RF17', ['tolerance'], 'purchase_orders') }}
),

priced_lines as (
    select
        purchase_orders.po_id,
        purchase_order_lines.line_number,
        purchase_orders.state_code,
        purchase_orders.agency_id,
        purchase_orders.supplier_id,
        purchase_orders.contract_id,
        purchase_orders.po_date,
        purchase_order_lines.item_number,
        purchase_order_lines.unit_of_measure,
        purchase_order_lines.quantity,
        purchase_order_lines.unit_price,
        min(contract_prices.contract_price) as contract_price,
        max(cast(rule_parameters.tolerance as decimal(18, 6))) as tolerance
    from purchase_orders
    inner join purchase_order_lines
        on purchase_orders.po_id = purchase_order_lines.po_id
    inner join contract_prices
        on
            purchase_orders.contract_id = contract_prices.contract_id
            and purchase_order_lines.item_number = contract_prices.item_number
            and purchase_order_lines.unit_of_measure = contract_prices.unit_of_measure
            and purchase_orders.po_date >= contract_prices.effective_from
            and (purchase_orders.po_date <= contract_prices.effective_to or contract_prices.effective_to is null)
    inner join rule_parameters
        on purchase_orders.state_code = rule_parameters.state_code
    group by
        purchase_orders.po_id,
        purchase_order_lines.line_number,
        purchase_orders.state_code,
        purchase_orders.agency_id,
        purchase_orders.supplier_id,
        purchase_orders.contract_id,
        purchase_orders.po_date,
        purchase_order_lines.item_number,
        purchase_order_lines.unit_of_measure,
        purchase_order_lines.quantity,
        purchase_order_lines.unit_price
),

final as (
    select
        {{ red_flag_columns(
            'RF17', 'off_contract_price', 'purchase_order_line',
            entity_id=dbt.concat(['po_id', "':'", 'cast(line_number as ' ~ dbt.type_string() ~ ')']),
            state_code='state_code',
            agency_id='agency_id',
            supplier_id='supplier_id',
            amount='(unit_price - contract_price) * quantity',
            detected_at='po_date',
            evidence=dbt.concat([
                "'item '", 'item_number', "' at '", red_flag_number_text('unit_price'), "' per '",
                'unit_of_measure', "' vs contract '", 'contract_id', "' price '",
                red_flag_number_text('contract_price'), "' x '", red_flag_number_text('quantity', 2)
            ])
        ) }}
    from priced_lines
    where unit_price > contract_price * (1 + tolerance)
)

select * from final
