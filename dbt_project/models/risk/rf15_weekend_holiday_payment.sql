{#- RF15 weekend or holiday payment (docs/red_flags.md): a payment dated on a Saturday or Sunday, or on a
    holiday of the paying state. -#}
with

payments as (
    select * from {{ ref('stg_raw__payments') }}
),

holidays as (
    select * from {{ ref('stg_raw__holidays') }}
),

classified as (
    select
        payments.payment_id,
        payments.state_code,
        payments.agency_id,
        payments.supplier_id,
        payments.payment_date,
        payments.amount,
        {{ iso_day_of_week('payments.payment_date') }} as day_of_week,
        holidays.holiday_name
    from payments
    left join holidays
        on
            payments.state_code = holidays.state_code
            and payments.payment_date = holidays.holiday_date
),

final as (
    select
        {{ red_flag_columns(
            'RF15', 'weekend_holiday_payment', 'payment',
            entity_id='payment_id',
            state_code='state_code',
            agency_id='agency_id',
            supplier_id='supplier_id',
            amount='amount',
            detected_at='payment_date',
            evidence=dbt.concat([
                "'payment of '", red_flag_money_text('amount'), "' dated '", red_flag_date_text('payment_date'),
                "', a '",
                "case when day_of_week = 6 then 'Saturday' when day_of_week = 7 then 'Sunday' else 'weekday' end",
                "case when holiday_name is not null then " ~ dbt.concat(["' and holiday ('", 'holiday_name', "')'"])
                ~ " else '' end"
            ])
        ) }}
    from classified
    where
        day_of_week in (6, 7)
        or holiday_name is not null
)

select * from final
