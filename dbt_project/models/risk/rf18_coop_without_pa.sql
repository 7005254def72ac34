{#- RF18 cooperative buy without a participating addendum (docs/red_flags.md): a payment (amount > 0)
    citing a cooperative_master contract, by a state other than the master's lead state, when no
    participating_addendum of the paying state pointing at that master (master_contract_id) covers the
    payment date (start_date <= payment_date <= effective end). The lead state is lead_state_code, or the
    contract's own state (which holds a master agreement) when lead_state_code is empty. -#}
with

payments as (
    select * from {{ ref('stg_raw__payments') }}
),

contracts as (
    select * from {{ ref('stg_raw__contracts') }}
),

contract_terms as (
    select * from {{ ref('int_contracts_effective_terms') }}
),

masters as (
    select
        contract_id,
        supplier_id,
        coalesce(lead_state_code, state_code) as lead_state_code
    from contracts
    where vehicle = 'cooperative_master'
),

addenda as (
    select
        contract_id,
        state_code,
        master_contract_id,
        start_date,
        effective_end_date
    from contract_terms
    where
        vehicle = 'participating_addendum'
        and master_contract_id is not null
),

master_payments as (
    select
        payments.payment_id,
        payments.state_code,
        payments.agency_id,
        payments.supplier_id,
        payments.payment_date,
        payments.amount,
        masters.contract_id as master_contract_id,
        masters.lead_state_code
    from payments
    inner join masters
        on payments.contract_id = masters.contract_id
    where
        payments.amount > 0
        and payments.state_code != masters.lead_state_code
),

covered as (
    select distinct master_payments.payment_id
    from master_payments
    inner join addenda
        on
            master_payments.master_contract_id = addenda.master_contract_id
            and master_payments.state_code = addenda.state_code
            and master_payments.payment_date >= addenda.start_date
            and master_payments.payment_date <= addenda.effective_end_date
),

final as (
    select
        {{ red_flag_columns(
            'RF18', 'coop_without_pa', 'payment',
            entity_id='master_payments.payment_id',
            state_code='master_payments.state_code',
            agency_id='master_payments.agency_id',
            supplier_id='master_payments.supplier_id',
            amount='master_payments.amount',
            detected_at='master_payments.payment_date',
            evidence=dbt.concat([
                "'payment of '", red_flag_money_text('master_payments.amount'), "' on '",
                red_flag_date_text('master_payments.payment_date'), "' on master agreement '",
                'master_payments.master_contract_id', "' (lead state '", 'master_payments.lead_state_code',
                "') with no participating addendum of '", 'master_payments.state_code', "' in force'"
            ])
        ) }}
    from master_payments
    left join covered
        on master_payments.payment_id = covered.payment_id
    where covered.payment_id is null
)

select * from final
