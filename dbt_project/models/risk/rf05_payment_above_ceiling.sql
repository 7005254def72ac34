{#- RF05 payments above the contract ceiling (docs/red_flags.md): the sum of every payment citing a
    known contract (refunds included) exceeds its current_value. detected_at = the date of the first
    payment (by payment_date, payment_id) at which the running sum exceeds the ceiling. -#}
with

payments as (
    select * from {{ ref('stg_raw__payments') }}
),

contracts as (
    select * from {{ ref('stg_raw__contracts') }}
),

running_sums as (
    select
        payments.contract_id,
        payments.payment_date,
        sum(payments.amount) over (
            partition by payments.contract_id
            order by payments.payment_date asc nulls last, payments.payment_id asc nulls last
            rows between unbounded preceding and current row
        ) as paid_to_date
    from payments
    where payments.contract_id is not null
),

crossing_dates as (
    select
        running_sums.contract_id,
        min(
            case when running_sums.paid_to_date > contracts.current_value then running_sums.payment_date end
        ) as crossing_date
    from running_sums
    inner join contracts
        on running_sums.contract_id = contracts.contract_id
    group by running_sums.contract_id
),

paid as (
    select
        contract_id,
        sum(amount) as paid_amount,
        count(*) as payment_count
    from payments
    where contract_id is not null
    group by contract_id
),

final as (
    select
        {{ red_flag_columns(
            'RF05', 'payment_above_ceiling', 'contract',
            entity_id='contracts.contract_id',
            state_code='contracts.state_code',
            agency_id='contracts.agency_id',
            supplier_id='contracts.supplier_id',
            amount='paid.paid_amount',
            detected_at='crossing_dates.crossing_date',
            evidence=dbt.concat([
                "'paid '", red_flag_money_text('paid.paid_amount'), "' in '",
                "cast(paid.payment_count as " ~ dbt.type_string() ~ ")",
                "' payments against a ceiling (current value) of '", red_flag_money_text('contracts.current_value'),
                "', '", red_flag_money_text('paid.paid_amount - contracts.current_value'), "' over'"
            ])
        ) }}
    from paid
    inner join contracts
        on paid.contract_id = contracts.contract_id
    left join crossing_dates
        on paid.contract_id = crossing_dates.contract_id
    where paid.paid_amount > contracts.current_value
)

select * from final
