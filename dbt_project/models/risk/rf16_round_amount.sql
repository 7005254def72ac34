{#- RF16 round amount (docs/red_flags.md): a payment with amount >= min_amount that is a multiple of
    `multiple` (exact decimal arithmetic). -#}
with

payments as (
    select * from {{ ref('stg_raw__payments') }}
),

rule_parameters as (
    {{ red_flag_parameters('RF16', ['min_amount', 'multiple'], 'payments') }}
),

candidates as (
    select
        payments.payment_id,
        payments.state_code,
        payments.agency_id,
        payments.supplier_id,
        payments.payment_date,
        payments.amount,
        cast(rule_parameters.min_amount as decimal(18, 2)) as min_amount,
        cast(rule_parameters.multiple as decimal(18, 2)) as round_multiple
    from payments
    inner join rule_parameters
        on payments.state_code = rule_parameters.state_code
),

final as (
    select
        {{ red_flag_columns(
            'RF16', 'round_amount', 'payment',
            entity_id='payment_id',
            state_code='state_code',
            agency_id='agency_id',
            supplier_id='supplier_id',
            amount='amount',
            detected_at='payment_date',
            evidence=dbt.concat([
                "'payment of '", red_flag_money_text('amount'), "' is a multiple of '",
                red_flag_money_text('round_multiple')
            ])
        ) }}
    from candidates
    where
        amount >= min_amount
        and round_multiple > 0
        and amount % round_multiple = 0
)

select * from final
