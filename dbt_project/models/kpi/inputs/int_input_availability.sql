{#- Which inputs of the KPIs (seed kpi_inputs) each state delivers: one row per state and input with at least
    one row (state_code NULL: an input shared by every state). kpi_coverage reads it to say, for a KPI
    without data, which inputs are missing. The inputs are entities (payments, contracts ...) and the
    columns that sources often leave empty (a PO's channel, a contract's value, a tender's issue date). -#}
{%- set inputs = [
    ['spend', ref('int_spend_lines'), 'amount > 0', 'state_code'],
    ['payments', ref('fct_payments'), 'amount > 0', 'state_code'],
    ['invoices', ref('fct_invoices'), 'amount is not null', 'state_code'],
    ['invoice_due_dates', ref('fct_invoices'), 'due_date is not null', 'state_code'],
    ['invoice_match_status', ref('fct_invoices'), 'match_status is not null', 'state_code'],
    ['purchase_orders', ref('fct_procure_to_pay'), "po_status != 'cancelled'", 'state_code'],
    ['purchase_order_lines', ref('fct_purchase_order_lines'), 'line_amount is not null', 'state_code'],
    ['po_channel', ref('fct_procure_to_pay'), 'channel is not null', 'state_code'],
    ['po_approval_method', ref('fct_procure_to_pay'), 'approval_method is not null', 'state_code'],
    ['requisitions', ref('fct_procure_to_pay'), 'requisition_approved_date is not null', 'state_code'],
    ['receipts', ref('fct_procure_to_pay'), 'receipt_count > 0', 'state_code'],
    ['commodity_codes', ref('int_spend_lines'), 'category_code is not null', 'state_code'],
    ['purchase_thresholds', ref('stg_raw__purchase_thresholds'), "threshold_type = 'small_purchase'", 'state_code'],
    ['contracts', ref('dim_contract'), 'contract_id is not null', 'state_code'],
    ['contract_values', ref('dim_contract'), 'original_value is not null', 'state_code'],
    ['contract_successors', ref('dim_contract'), 'has_successor', 'state_code'],
    ['contract_prices', ref('fct_purchase_order_lines'), 'has_contract_price', 'state_code'],
    ['solicitations', ref('fct_solicitations'), 'solicitation_id is not null', 'state_code'],
    ['solicitation_issue_dates', ref('fct_solicitations'), 'issue_date is not null', 'state_code'],
    ['submission_channel', ref('fct_solicitations'), 'is_electronic_submission is not null', 'state_code'],
    ['bids', ref('fct_bids'), 'bid_id is not null', 'state_code'],
    ['awards', ref('fct_awards'), 'award_id is not null', 'state_code'],
    ['award_values', ref('fct_awards'), 'award_value is not null', 'state_code'],
    ['award_publication_dates', ref('fct_awards'), 'published_date is not null', 'state_code'],
    ['coop_sales', ref('fct_coop_sales'), 'sales_line_id is not null', 'state_code'],
    ['procurement_staff', ref('stg_raw__procurement_staff'), 'state_code is not null', 'state_code'],
    ['exclusions', ref('stg_raw__exclusions'), 'true', none],
    ['supplier_registration', ref('int_suppliers_resolved'), 'registration_valid_from is not null', none],
    ['supplier_certification', ref('dim_supplier'), 'is_small_business is not null or is_diverse_business is not null', none],
] %}
with

available as (
    {{ input_availability(inputs) }}
),

final as (
    select
        state_code,
        input,
        row_count
    from available
    where row_count > 0
)

select * from final
