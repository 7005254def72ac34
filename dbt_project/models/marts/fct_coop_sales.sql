{#- One row per cooperative sales-report line (contractors report them quarterly per master agreement).
    The reporting quarter is the calendar quarter of invoice_date; fiscal periods are those of invoice_date in
    the customer state's calendar. Credits and returns carry negative quantity and total (and fee): they
    reduce sales and the fee base by their own sign. admin_fee_rate is the master agreement's.
    list_price_discount_amount = (list_price - contract_price) x quantity, so its sign follows quantity.
    Incremental by period_month, the first day of the calendar month of invoice_date (= one fiscal month
    of every state): macros/incremental_by_period.sql decides which months a build rewrites. -#}
{{ config(**incremental_by_period_config()) }}
{%- set period_plan = incremental_by_period_plan() %}
with

sales as (
    select * from {{ ref('stg_raw__coop_sales') }}
),

contracts as (
    select * from {{ ref('dim_contract') }}
),

states as (
    select * from {{ ref('stg_raw__states') }}
),

commodity_codes as (
    select * from {{ ref('stg_raw__commodity_codes') }}
),

suppliers as (
    select * from {{ ref('int_suppliers_resolved') }}
),

final as (
    select
        sales.sales_line_id,
        sales.master_contract_id,
        contracts.contract_number as master_contract_number,
        coalesce(contracts.lead_state_code, contracts.state_code) as lead_state_code,
        sales.coop_program,
        sales.supplier_id,
        suppliers.supplier_key,
        sales.state_code,
        sales.customer_type,
        sales.customer_name,
        sales.agency_id,
        sales.customer_po_number,
        sales.contractor_order_number,
        sales.order_type,
        sales.po_date,
        sales.ship_date,
        sales.invoice_date,
        sales.invoice_number,
        cast(extract(year from sales.invoice_date) as int) as calendar_year,
        cast(extract(quarter from sales.invoice_date) as int) as calendar_quarter,
        cast({{ dbt.date_trunc('quarter', 'sales.invoice_date') }} as date) as quarter_start_date,
        {{ fiscal_year('sales.invoice_date', 'states.fiscal_year_start_month') }} as fiscal_year,
        {{ fiscal_month('sales.invoice_date', 'states.fiscal_year_start_month') }} as fiscal_month,
        sales.product_number,
        sales.product_description,
        sales.commodity_code,
        commodity_codes.category_code,
        sales.unit_of_measure,
        cast(sales.list_price as decimal(18, 6)) as list_price,
        cast(sales.contract_price as decimal(18, 6)) as contract_price,
        cast(sales.quantity as decimal(18, 6)) as quantity,
        cast(sales.total as decimal(18, 2)) as total,
        cast(sales.admin_fee as decimal(18, 2)) as admin_fee,
        contracts.admin_fee_rate,
        cast(sales.total * contracts.admin_fee_rate as decimal(18, 4)) as expected_admin_fee,
        coalesce(sales.total < 0 or sales.order_type in ('credit', 'return'), false) as is_credit_or_return,
        cast((sales.list_price - sales.contract_price) * sales.quantity as decimal(18, 4))
            as list_price_discount_amount,
        sales.dealer,
        cast({{ dbt.date_trunc('month', 'sales.invoice_date') }} as date) as period_month,
        {{ period_plan.loaded_through }} as _loaded_through,
        {{ period_plan.invocation }} as _invocation_id
    from sales
    left join contracts
        on sales.master_contract_id = contracts.contract_id
    left join states
        on sales.state_code = states.state_code
    left join commodity_codes
        on sales.commodity_code = commodity_codes.commodity_code
    left join suppliers
        on sales.supplier_id = suppliers.supplier_id
)

select * from final
where {{ period_plan.predicate }}
