{#- One row per payment line. The column list is a contract (the Soda publication gate reads it):
    change it only together with warehouse/soda. bank_account is not carried.
    Incremental by period_month, the first day of the calendar month of payment_date (= one fiscal month
    of every state): macros/incremental_by_period.sql decides which months a build rewrites. -#}
{{ config(**incremental_by_period_config()) }}
{%- set period_plan = incremental_by_period_plan() %}
with

payments as (
    select * from {{ ref('int_payments_enriched') }}
),

final as (
    select
        payment_id,
        state_code,
        agency_id,
        supplier_id,
        supplier_key,
        commodity_code,
        category_code,
        contract_id,
        invoice_id,
        po_id,
        payment_date,
        fiscal_year,
        fiscal_month,
        cast(amount as decimal(18, 2)) as amount,
        is_addressable,
        is_on_contract,
        is_within_contract_term,
        is_in_covered_category,
        payment_method,
        discount_taken,
        interest_paid,
        _load_id,
        cast({{ dbt.date_trunc('month', 'payment_date') }} as date) as period_month,
        {{ period_plan.loaded_through }} as _loaded_through,
        {{ period_plan.invocation }} as _invocation_id,
        -- last: columns added later go at the end, where on_schema_change adds them to an existing table (the
        -- plan then rewrites every period, as for any documented column the table lacks)
        currency
    from payments
)

select * from final
where {{ period_plan.predicate }}
