{#- The spend the spend KPIs measure, on the best basis each state delivers (int_spend_basis, docs/kpi_rules.md
    "Spend basis"), one row per spend line with the columns of fct_payments that the KPIs read:
    - paid: the payments (fct_payments), as they are;
    - invoiced: invoices of a state-year without payments, with the contract of their purchase order;
    - committed: purchase-order lines of a state-year without payments or invoices (cancelled lines are not in
      fct_purchase_order_lines), and the total of a purchase order given without lines (a header-only export
      such as Nevada's), unless the order is cancelled.
    For invoiced and committed lines the contract flags are worked out here as int_payments_enriched does for
    payments: on contract when the named contract is in the warehouse, unknown (NULL) when it names one the
    warehouse does not have; within term on the invoice's received date or the PO date; covered category as
    for 12.2. Addressable: a purchase order or invoice is a purchase from a supplier, so it is addressable
    unless its commodity code is one the reference marks not addressable (a payment ledger also carries
    payroll, grants and transfers, which is why a payment needs a known addressable code). A view: the rows
    of one basis per state-year, no copy of the payments. -#}
{{ config(materialized='view') }}
with

payments as (
    select * from {{ ref('fct_payments') }}
),

invoices as (
    select * from {{ ref('fct_invoices') }}
),

po_lines as (
    select * from {{ ref('fct_purchase_order_lines') }}
),

purchase_orders as (
    select * from {{ ref('fct_procure_to_pay') }}
),

source_po_lines as (
    select * from {{ ref('base_raw__purchase_order_lines') }}
),

spend_basis as (
    select * from {{ ref('int_spend_basis') }}
),

commodity_codes as (
    select * from {{ ref('stg_raw__commodity_codes') }}
),

contracts as (
    select * from {{ ref('int_contracts_effective_terms') }}
),

paid_lines as (
    select
        cast('paid' as {{ dbt.type_string() }}) as basis,
        payment_id as spend_line_id,
        state_code,
        agency_id,
        supplier_id,
        supplier_key,
        commodity_code,
        category_code,
        contract_id,
        is_on_contract,
        is_within_contract_term,
        is_in_covered_category,
        is_addressable,
        payment_date as spend_date,
        fiscal_year,
        fiscal_month,
        amount
    from payments
),

invoiced_lines as (
    select
        spend_basis.basis,
        invoices.invoice_id as spend_line_id,
        invoices.state_code,
        invoices.agency_id,
        invoices.supplier_id,
        invoices.supplier_key,
        invoices.commodity_code,
        invoices.category_code,
        purchase_orders.contract_id as recorded_contract_id,
        invoices.received_date as spend_date,
        invoices.fiscal_year,
        invoices.fiscal_month,
        invoices.amount
    from invoices
    inner join spend_basis
        on
            invoices.state_code = spend_basis.state_code
            and invoices.fiscal_year = spend_basis.fiscal_year
            and spend_basis.basis = 'invoiced'
    left join purchase_orders
        on invoices.po_id = purchase_orders.po_id
),

committed_lines as (
    select
        spend_basis.basis,
        {{ dbt.concat(["po_lines.po_id", "'#'", "cast(po_lines.line_number as " ~ dbt.type_string() ~ ")"]) }}
            as spend_line_id,
        po_lines.state_code,
        po_lines.agency_id,
        po_lines.supplier_id,
        po_lines.supplier_key,
        po_lines.commodity_code,
        po_lines.category_code,
        po_lines.contract_id as recorded_contract_id,
        po_lines.po_date as spend_date,
        po_lines.fiscal_year,
        po_lines.fiscal_month,
        po_lines.line_amount as amount
    from po_lines
    inner join spend_basis
        on
            po_lines.state_code = spend_basis.state_code
            and po_lines.fiscal_year = spend_basis.fiscal_year
            and spend_basis.basis = 'committed'
    where po_lines.po_status != 'cancelled'
),

committed_headers as (
    -- a purchase order given without any line (not even a cancelled one): its total is its commitment
    select
        spend_basis.basis,
        purchase_orders.po_id as spend_line_id,
        purchase_orders.state_code,
        purchase_orders.agency_id,
        purchase_orders.supplier_id,
        purchase_orders.supplier_key,
        cast(null as {{ dbt.type_string() }}) as commodity_code,
        cast(null as {{ dbt.type_string() }}) as category_code,
        purchase_orders.contract_id as recorded_contract_id,
        purchase_orders.po_date as spend_date,
        purchase_orders.fiscal_year,
        purchase_orders.fiscal_month,
        purchase_orders.total_amount as amount
    from purchase_orders
    inner join spend_basis
        on
            purchase_orders.state_code = spend_basis.state_code
            and purchase_orders.fiscal_year = spend_basis.fiscal_year
            and spend_basis.basis = 'committed'
    where
        purchase_orders.po_status != 'cancelled'
        and not exists (
            select 1 as has_line
            from source_po_lines
            where source_po_lines.po_id = purchase_orders.po_id
        )
),

unpaid_lines as (
    select * from invoiced_lines
    union all
    select * from committed_lines
    union all
    select * from committed_headers
),

classified as (
    select
        unpaid_lines.basis,
        unpaid_lines.spend_line_id,
        unpaid_lines.state_code,
        unpaid_lines.agency_id,
        unpaid_lines.supplier_id,
        unpaid_lines.supplier_key,
        unpaid_lines.commodity_code,
        unpaid_lines.category_code,
        contracts.contract_id,
        {{ contract_status_columns(
            'contracts.contract_id', 'unpaid_lines.recorded_contract_id', 'unpaid_lines.spend_date',
            'contracts.start_date', 'contracts.effective_end_date') }},
        coalesce(commodity_codes.is_addressable, true) as is_addressable,
        unpaid_lines.spend_date,
        unpaid_lines.fiscal_year,
        unpaid_lines.fiscal_month,
        cast(unpaid_lines.amount as decimal(18, 2)) as amount
    from unpaid_lines
    left join contracts
        on unpaid_lines.recorded_contract_id = contracts.contract_id
    left join commodity_codes
        on unpaid_lines.commodity_code = commodity_codes.commodity_code
),

covered_lines as (
    -- a semi-join, as in int_payments_enriched: a line can fall under many covering contracts
    select
        classified.basis,
        classified.spend_line_id
    from classified
    where
        exists (
            select 1 as is_covered
            from contracts
            where
                contracts.vehicle in ('statewide', 'participating_addendum')
                and classified.state_code = contracts.state_code
                and classified.category_code = contracts.category_code
                and classified.spend_date >= contracts.start_date
                and classified.spend_date <= contracts.effective_end_date
        )
),

final as (
    select * from paid_lines
    union all
    select
        classified.basis,
        classified.spend_line_id,
        classified.state_code,
        classified.agency_id,
        classified.supplier_id,
        classified.supplier_key,
        classified.commodity_code,
        classified.category_code,
        classified.contract_id,
        classified.is_on_contract,
        classified.is_within_contract_term,
        covered_lines.spend_line_id is not null as is_in_covered_category,
        classified.is_addressable,
        classified.spend_date,
        classified.fiscal_year,
        classified.fiscal_month,
        classified.amount
    from classified
    left join covered_lines
        on
            classified.basis = covered_lines.basis
            and classified.spend_line_id = covered_lines.spend_line_id
)

select * from final
