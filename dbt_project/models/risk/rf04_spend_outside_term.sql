{#- RF04 spend outside the contract term (docs/red_flags.md): a payment with amount > 0 on a known
    contract, dated before its start_date or after its effective end (the latest of end_date and the
    amendments' new_end_date). -#}
with

payments as (
    select * from {{ ref('stg_raw__payments') }}
),

contracts as (
    select * from {{ ref('int_contracts_effective_terms') }}
),

flagged as (
    select
        payments.payment_id,
        payments.state_code,
        payments.agency_id,
        payments.supplier_id,
        payments.payment_date,
        payments.amount,
        contracts.contract_id,
        contracts.start_date,
        contracts.effective_end_date,
        case when payments.payment_date < contracts.start_date then 'before' else 'after' end as side
    from payments
    inner join contracts
        on payments.contract_id = contracts.contract_id
    where
        payments.amount > 0
        and (
            payments.payment_date < contracts.start_date
            or payments.payment_date > contracts.effective_end_date
        )
),

final as (
    select
        {{ red_flag_columns(
            'RF04', 'spend_outside_term', 'payment',
            entity_id='payment_id',
            state_code='state_code',
            agency_id='agency_id',
            supplier_id='supplier_id',
            amount='amount',
            detected_at='payment_date',
            evidence=dbt.concat([
                "'payment of '", red_flag_money_text('amount'), "' on '", red_flag_date_text('payment_date'),
                "' is '", 'side', "' the term of contract '", 'contract_id', "' ('",
                red_flag_date_text('start_date'), "' to '", red_flag_date_text('effective_end_date'), "')'"
            ])
        ) }}
    from flagged
)

select * from final
