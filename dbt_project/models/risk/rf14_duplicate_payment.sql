{#- RF14 duplicate payment (docs/red_flags.md): a payment (amount > 0) for which another payment
    (amount > 0) of the same supplier_id and amount, for a different invoice (or where either carries no
    invoice), came earlier by (payment_date, payment_id) and at most window_days days before it. The later
    one is flagged, and the evidence names the latest such earlier payment. -#}
with

payments as (
    select * from {{ ref('stg_raw__payments') }}
),

rule_parameters as (
    {{ red_flag_parameters('RF14', ['window_days'], 'payments') }}
),

positive_payments as (
    select
        payments.payment_id,
        payments.state_code,
        payments.agency_id,
        payments.supplier_id,
        payments.invoice_id,
        payments.payment_date,
        payments.amount,
        rule_parameters.window_days
    from payments
    left join rule_parameters
        on payments.state_code = rule_parameters.state_code
    where payments.amount > 0
),

pairs as (
    select
        later.payment_id,
        later.state_code,
        later.agency_id,
        later.supplier_id,
        later.payment_date,
        later.amount,
        earlier.payment_id as earlier_payment_id,
        earlier.payment_date as earlier_payment_date,
        row_number() over (
            partition by later.payment_id
            order by earlier.payment_date desc nulls last, earlier.payment_id desc nulls last
        ) as pair_rank
    from positive_payments as later
    inner join positive_payments as earlier
        on
            later.supplier_id = earlier.supplier_id
            and later.amount = earlier.amount
            and later.payment_id != earlier.payment_id
    where
        (
            earlier.payment_date < later.payment_date
            or (earlier.payment_date = later.payment_date and earlier.payment_id < later.payment_id)
        )
        and {{ dbt.datediff('earlier.payment_date', 'later.payment_date', 'day') }} <= later.window_days
        and (
            later.invoice_id is null
            or earlier.invoice_id is null
            or later.invoice_id != earlier.invoice_id
        )
),

final as (
    select
        {{ red_flag_columns(
            'RF14', 'duplicate_payment', 'payment',
            entity_id='payment_id',
            state_code='state_code',
            agency_id='agency_id',
            supplier_id='supplier_id',
            amount='amount',
            detected_at='payment_date',
            evidence=dbt.concat([
                "'payment of '", red_flag_money_text('amount'), "' on '", red_flag_date_text('payment_date'),
                "' repeats payment '", 'earlier_payment_id', "' of the same supplier and amount on '",
                red_flag_date_text('earlier_payment_date')
            ])
        ) }}
    from pairs
    where pair_rank = 1
)

select * from final
