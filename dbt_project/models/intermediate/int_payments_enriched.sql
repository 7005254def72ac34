{#- One row per payment line with everything the payment facts and the spend KPIs need: the fiscal
    period in the paying state's calendar, category (UNSPSC family), addressability, the contract it was
    paid against (only when that contract exists; unknown when the payment names a contract the warehouse
    does not have), whether it falls in the contract's effective term, and
    whether its category was covered by a statewide / participating-addendum contract of the paying state
    on the payment date (the maverick-spend population, docs/kpi_rules.md 12.2). -#}
with

payments as (
    select * from {{ ref('stg_raw__payments') }}
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

suppliers as (
    select * from {{ ref('int_suppliers_resolved') }}
),

classified as (
    select
        payments.payment_id,
        payments.state_code,
        payments.agency_id,
        payments.supplier_id,
        suppliers.supplier_key,
        payments.payee_name,
        payments.commodity_code,
        -- category only for a known commodity code: an unknown code has no category (docs/kpi_rules.md)
        commodity_codes.category_code,
        -- the contract when it is in the warehouse; a contract id that is not (held back, quarantined, never
        -- delivered) leaves contract_id NULL and makes is_on_contract unknown (NULL), not "no contract"
        contracts.contract_id,
        payments.contract_id as recorded_contract_id,
        contracts.vehicle as contract_vehicle,
        contracts.start_date as contract_start_date,
        contracts.effective_end_date as contract_effective_end_date,
        payments.invoice_id,
        payments.po_id,
        payments.payment_date,
        {{ fiscal_year('payments.payment_date', 'states.fiscal_year_start_month') }} as fiscal_year,
        {{ fiscal_month('payments.payment_date', 'states.fiscal_year_start_month') }} as fiscal_month,
        payments.amount,
        -- amounts are never converted: a payment without a currency is in US dollars (canonical schema)
        coalesce(payments.currency, 'USD') as currency,
        -- no or an unknown commodity code is not addressable
        coalesce(commodity_codes.is_addressable, false) as is_addressable,
        payments.payment_method,
        payments.discount_taken,
        payments.interest_paid,
        payments._load_id
    from payments
    left join states
        on payments.state_code = states.state_code
    left join commodity_codes
        on payments.commodity_code = commodity_codes.commodity_code
    left join contracts
        on payments.contract_id = contracts.contract_id
    left join suppliers
        on payments.supplier_id = suppliers.supplier_id
),

covering_contracts as (
    select
        state_code,
        category_code,
        start_date,
        effective_end_date
    from contracts
    where
        vehicle in ('statewide', 'participating_addendum')
        and category_code is not null
),

covered_payments as (
    -- a semi-join (exists) rather than a join + distinct: a payment can fall under many covering contracts;
    -- payment_id is unique in staging
    select classified.payment_id
    from classified
    where
        exists (
            select 1 as is_covered
            from covering_contracts
            where
                classified.state_code = covering_contracts.state_code
                and classified.category_code = covering_contracts.category_code
                and classified.payment_date >= covering_contracts.start_date
                and classified.payment_date <= covering_contracts.effective_end_date
        )
),

final as (
    select
        classified.payment_id,
        classified.state_code,
        classified.agency_id,
        classified.supplier_id,
        classified.supplier_key,
        classified.payee_name,
        classified.commodity_code,
        classified.category_code,
        classified.contract_id,
        classified.recorded_contract_id,
        classified.contract_vehicle,
        classified.contract_start_date,
        classified.contract_effective_end_date,
        classified.invoice_id,
        classified.po_id,
        classified.payment_date,
        classified.fiscal_year,
        classified.fiscal_month,
        classified.amount,
        classified.currency,
        classified.is_addressable,
        {{ contract_status_columns(
            'classified.contract_id', 'classified.recorded_contract_id', 'classified.payment_date',
            'classified.contract_start_date', 'classified.contract_effective_end_date') }},
        covered_payments.payment_id is not null as is_in_covered_category,
        classified.payment_method,
        classified.discount_taken,
        classified.interest_paid,
        classified._load_id
    from classified
    left join covered_payments
        on classified.payment_id = covered_payments.payment_id
)

select * from final
