{#- One row per purchase-order line (po_id, line_number), with its PO header, the fiscal period of po_date
    in the ordering state's calendar, and the contract price in effect for the line's item + unit of measure
    on po_date. The price list searched is the PO's contract's own, else (a participating addendum) its
    master agreement's: cooperative price lists live on the master. Lines whose header is not in
    purchase_orders are left out (no state, agency or date to place them). Cancelled lines are not here
    (stg_raw__purchase_order_lines): fct_purchase_order_lines_cancelled holds them.
    Incremental by period_month, the first day of the calendar month of po_date (= one fiscal month
    of every state): macros/incremental_by_period.sql decides which months a build rewrites. -#}
{{ config(**incremental_by_period_config()) }}
{%- set period_plan = incremental_by_period_plan() %}
with

purchase_orders as (
    select * from {{ ref('stg_raw__purchase_orders') }}
),

po_lines as (
    select * from {{ ref('stg_raw__purchase_order_lines') }}
),

states as (
    select * from {{ ref('stg_raw__states') }}
),

commodity_codes as (
    select * from {{ ref('stg_raw__commodity_codes') }}
),

contracts as (
    select * from {{ ref('int_contracts_effective_terms') }}
),

contract_prices as (
    select * from {{ ref('stg_raw__contract_prices') }}
),

suppliers as (
    select * from {{ ref('int_suppliers_resolved') }}
),

lines_with_headers as (
    select
        po_lines.po_id,
        po_lines.line_number,
        purchase_orders.po_number,
        purchase_orders.state_code,
        purchase_orders.agency_id,
        purchase_orders.supplier_id,
        suppliers.supplier_key,
        purchase_orders.requisition_id,
        purchase_orders.contract_id,
        -- unknown (NULL) when the PO names a contract the warehouse does not have: not "off contract"
        case
            when contracts.contract_id is not null then true
            when purchase_orders.contract_id is null then false
        end as is_on_contract,
        contracts.vehicle as contract_vehicle,
        contracts.master_contract_id,
        purchase_orders.po_date,
        {{ fiscal_year('purchase_orders.po_date', 'states.fiscal_year_start_month') }} as fiscal_year,
        {{ fiscal_month('purchase_orders.po_date', 'states.fiscal_year_start_month') }} as fiscal_month,
        purchase_orders.channel,
        purchase_orders.approval_method,
        purchase_orders.status as po_status,
        po_lines.item_number,
        po_lines.item_description,
        po_lines.commodity_code,
        -- category only for a known commodity code (docs/kpi_rules.md)
        commodity_codes.category_code,
        po_lines.quantity,
        po_lines.unit_of_measure,
        po_lines.unit_price,
        po_lines.line_amount,
        po_lines.status as line_status
    from po_lines
    inner join purchase_orders
        on po_lines.po_id = purchase_orders.po_id
    left join states
        on purchase_orders.state_code = states.state_code
    left join commodity_codes
        on po_lines.commodity_code = commodity_codes.commodity_code
    left join contracts
        on purchase_orders.contract_id = contracts.contract_id
    left join suppliers
        on purchase_orders.supplier_id = suppliers.supplier_id
),

price_lookups as (
    -- two equi-joins rather than one join on "own or master" (an OR join is a nested loop on Spark)
    select
        po_id,
        line_number,
        contract_id as price_contract_id,
        item_number,
        unit_of_measure,
        po_date,
        -- the PO's own contract's price beats its master agreement's
        1 as source_rank
    from lines_with_headers
    where is_on_contract
    union all
    select
        po_id,
        line_number,
        master_contract_id as price_contract_id,
        item_number,
        unit_of_measure,
        po_date,
        2 as source_rank
    from lines_with_headers
    where
        is_on_contract
        and master_contract_id is not null
),

price_candidates as (
    select
        price_lookups.po_id,
        price_lookups.line_number,
        price_lookups.price_contract_id,
        price_lookups.source_rank,
        contract_prices.contract_price,
        contract_prices.effective_from
    from price_lookups
    inner join contract_prices
        on
            price_lookups.price_contract_id = contract_prices.contract_id
            and price_lookups.item_number = contract_prices.item_number
            and upper(price_lookups.unit_of_measure) = upper(contract_prices.unit_of_measure)
            and price_lookups.po_date >= contract_prices.effective_from
            and (contract_prices.effective_to is null or price_lookups.po_date <= contract_prices.effective_to)
),

ranked_prices as (
    select
        po_id,
        line_number,
        price_contract_id,
        contract_price,
        row_number() over (
            partition by po_id, line_number
            order by
                source_rank asc,
                effective_from desc nulls last,
                contract_price asc nulls last,
                price_contract_id asc nulls last
        ) as price_rank
    from price_candidates
),

prices_in_effect as (
    select
        po_id,
        line_number,
        price_contract_id,
        contract_price
    from ranked_prices
    where price_rank = 1
),

final as (
    select
        lines_with_headers.po_id,
        lines_with_headers.line_number,
        lines_with_headers.po_number,
        lines_with_headers.state_code,
        lines_with_headers.agency_id,
        lines_with_headers.supplier_id,
        lines_with_headers.supplier_key,
        lines_with_headers.requisition_id,
        lines_with_headers.contract_id,
        lines_with_headers.is_on_contract,
        lines_with_headers.contract_vehicle,
        lines_with_headers.po_date,
        lines_with_headers.fiscal_year,
        lines_with_headers.fiscal_month,
        lines_with_headers.channel,
        coalesce(lines_with_headers.channel in ('catalog', 'punchout'), false) as is_catalog_channel,
        lines_with_headers.approval_method,
        lines_with_headers.po_status,
        lines_with_headers.item_number,
        lines_with_headers.item_description,
        lines_with_headers.commodity_code,
        lines_with_headers.category_code,
        lines_with_headers.quantity,
        lines_with_headers.unit_of_measure,
        lines_with_headers.unit_price,
        cast(lines_with_headers.line_amount as decimal(18, 2)) as line_amount,
        lines_with_headers.line_status,
        prices_in_effect.price_contract_id,
        prices_in_effect.contract_price,
        prices_in_effect.contract_price is not null as has_contract_price,
        case
            when prices_in_effect.contract_price is not null
                then lines_with_headers.unit_price <= prices_in_effect.contract_price
        end as is_at_or_below_contract_price,
        case
            when lines_with_headers.unit_price > prices_in_effect.contract_price
                then cast(
                        (lines_with_headers.unit_price - prices_in_effect.contract_price) * lines_with_headers.quantity
                        as decimal(18, 4)
                    )
            when prices_in_effect.contract_price is not null then cast(0 as decimal(18, 4))
        end as overpayment_amount,
        cast({{ dbt.date_trunc('month', 'lines_with_headers.po_date') }} as date) as period_month,
        {{ period_plan.loaded_through }} as _loaded_through,
        {{ period_plan.invocation }} as _invocation_id
    from lines_with_headers
    left join prices_in_effect
        on
            lines_with_headers.po_id = prices_in_effect.po_id
            and lines_with_headers.line_number = prices_in_effect.line_number
)

select * from final
where {{ period_plan.predicate }}
