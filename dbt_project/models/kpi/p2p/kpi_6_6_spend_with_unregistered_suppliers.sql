{#- KPI 6.6: purchases (amount > 0) paid to a supplier record that was not registered on the payment date /
    purchases whose registration status on that date is known. A supplier record carries one registration
    period (registration_valid_from .. registration_valid_to, an open end = still valid), the current one:
    - registered: valid_from <= payment_date and (valid_to is empty or payment_date <= valid_to);
    - not registered: the payment is after valid_to (the registration had lapsed);
    - unknown: the payment is before valid_from (the export gives the current registration, not the
      history: the supplier may well have been registered under an earlier one), the record has no
      registration dates, or the payee record is missing from suppliers. Unknown is its own bucket: left
      out of both sides and counted in excluded_rows, never read as "unregistered" (applying today's
      registration to past payments made a state read 72% unregistered where the known share was 29%).
    Only registration is tested: the data carries no insurance or certification dates. -#}
with

payments as (
    select * from {{ ref('fct_payments') }}
),

suppliers as (
    select * from {{ ref('int_suppliers_resolved') }}
),

registration as (
    select
        payments.state_code,
        payments.agency_id,
        payments.supplier_key,
        payments.fiscal_year,
        payments.fiscal_month,
        payments.amount,
        case
            when suppliers.registration_valid_from is null then 'unknown'
            when payments.payment_date < suppliers.registration_valid_from then 'unknown'
            when
                suppliers.registration_valid_to is null
                or payments.payment_date <= suppliers.registration_valid_to
                then 'registered'
            else 'not_registered'
        end as registration_status
    from payments
    left join suppliers
        on payments.supplier_id = suppliers.supplier_id
    where
        payments.fiscal_year is not null
        -- refunds and voids are not purchases: shares are of gross spend (docs/kpi_rules.md)
        and payments.amount > 0
),

base as (
    select
        state_code,
        agency_id,
        supplier_key as supplier_id,
        fiscal_year,
        fiscal_month,
        registration_status,
        case
            when registration_status = 'not_registered' then amount
            else cast(0 as decimal(18, 2))
        end as numerator,
        amount as denominator
    from registration
),

final as (
    {{ kpi_rollup(
        'base', '6.6', 6, method='ratio', grains=['A', 'V', 'M'], exclude_when="registration_status = 'unknown'"
    ) }}
)

select * from final
