{#- KPI 6.5: early-payment discounts taken / discounts offered, over paid invoices whose terms offered a
    discount (discount_offered > 0). Taken = the sum of discount_taken over the invoice's payments.
    Period: the first positive payment's (the discount is won or lost when paying); state, agency and
    supplier (resolved) are the invoice's. -#}
with

invoices as (
    select * from {{ ref('fct_invoices') }}
),

base as (
    select
        state_code,
        agency_id,
        supplier_key as supplier_id,
        first_payment_fiscal_year as fiscal_year,
        first_payment_fiscal_month as fiscal_month,
        discount_taken as numerator,
        discount_offered as denominator
    from invoices
    where
        first_payment_fiscal_year is not null
        and discount_offered > 0
),

final as (
    {{ kpi_rollup('base', '6.5', 6, method='ratio', grains=['A', 'V', 'M']) }}
)

select * from final
