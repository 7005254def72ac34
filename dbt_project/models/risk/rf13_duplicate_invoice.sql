{#- RF13 duplicate invoice (docs/red_flags.md): invoices of the same supplier_id with the same normalised
    invoice number (upper case, letters and digits only, leading zeros removed) and amount; every one but
    the earliest by (received_date, invoice_id) is flagged. -#}
with

invoices as (
    select * from {{ ref('stg_raw__invoices') }}
),

normalised as (
    select
        invoice_id,
        invoice_number,
        state_code,
        agency_id,
        supplier_id,
        received_date,
        amount,
        {{ red_flag_normalised_invoice_number('invoice_number') }} as normalised_number
    from invoices
),

ranked as (
    select
        invoice_id,
        invoice_number,
        state_code,
        agency_id,
        supplier_id,
        received_date,
        amount,
        row_number() over (
            partition by supplier_id, normalised_number, amount
            order by received_date asc nulls last, invoice_id asc nulls last
        ) as copy_rank,
        first_value(invoice_id) over (
            partition by supplier_id, normalised_number, amount
            order by received_date asc nulls last, invoice_id asc nulls last
            rows between unbounded preceding and unbounded following
        ) as original_invoice_id,
        first_value(received_date) over (
            partition by supplier_id, normalised_number, amount
            order by received_date asc nulls last, invoice_id asc nulls last
            rows between unbounded preceding and unbounded following
        ) as original_received_date
    from normalised
    where normalised_number is not null
),

final as (
    select
        {{ red_flag_columns(
            'RF13', 'duplicate_invoice', 'invoice',
            entity_id='invoice_id',
            state_code='state_code',
            agency_id='agency_id',
            supplier_id='supplier_id',
            amount='amount',
            detected_at='received_date',
            evidence=dbt.concat([
                "'invoice number '", 'invoice_number', "' for '", red_flag_money_text('amount'),
                "' repeats invoice '", 'original_invoice_id', "' received '",
                red_flag_date_text('original_received_date')
            ])
        ) }}
    from ranked
    where copy_rank > 1
)

select * from final
