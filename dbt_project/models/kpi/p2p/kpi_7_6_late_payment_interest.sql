{#- KPI 7.6: prompt-payment interest paid / amount paid, over purchases (payment lines with amount > 0;
    the interest is included in the amount). Period: payment_date in the paying state's calendar. -#}
with

payments as (
    select * from {{ ref('fct_payments') }}
),

base as (
    select
        state_code,
        agency_id,
        supplier_key as supplier_id,
        fiscal_year,
        fiscal_month,
        coalesce(interest_paid, cast(0 as decimal(18, 2))) as numerator,
        amount as denominator
    from payments
    where
        fiscal_year is not null
        -- refunds and voids are not purchases (docs/kpi_rules.md)
        and amount > 0
),

final as (
    {{ kpi_rollup('base', '7.6', 7, method='ratio', grains=['A', 'V', 'M']) }}
)

select * from final
