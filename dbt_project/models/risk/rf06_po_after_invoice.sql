{#- RF06 PO after invoice (docs/red_flags.md): a PO dated at least min_days after the earliest
    invoice_date of the invoices citing it (a confirming order); the evidence says strong from
    strong_days. -#}
with

purchase_orders as (
    select * from {{ ref('stg_raw__purchase_orders') }}
),

invoices as (
    select * from {{ ref('stg_raw__invoices') }}
),

rule_parameters as (
    {{ red_flag_parameters('RF06', ['min_days', 'strong_days'], 'purchase_orders') }}
),

first_invoices as (
    select
        po_id,
        min(invoice_date) as first_invoice_date,
        count(*) as invoice_count
    from invoices
    where po_id is not null
    group by po_id
),

lags as (
    select
        purchase_orders.po_id,
        purchase_orders.state_code,
        purchase_orders.agency_id,
        purchase_orders.supplier_id,
        purchase_orders.po_date,
        purchase_orders.total_amount,
        first_invoices.first_invoice_date,
        {{ dbt.datediff('first_invoices.first_invoice_date', 'purchase_orders.po_date', 'day') }} as days_after,
        rule_parameters.min_days,
        rule_parameters.strong_days
    from purchase_orders
    inner join first_invoices
        on purchase_orders.po_id = first_invoices.po_id
    inner join rule_parameters
        on purchase_orders.state_code = rule_parameters.state_code
),

final as (
    select
        {{ red_flag_columns(
            'RF06', 'po_after_invoice', 'purchase_order',
            entity_id='po_id',
            state_code='state_code',
            agency_id='agency_id',
            supplier_id='supplier_id',
            amount='total_amount',
            detected_at='po_date',
            evidence=dbt.concat([
                "'PO dated '", red_flag_date_text('po_date'), "', '",
                "cast(days_after as " ~ dbt.type_string() ~ ")",
                "' days after its first invoice ('", red_flag_date_text('first_invoice_date'), "'): '",
                "case when days_after >= strong_days then 'strong' else 'weak' end"
            ])
        ) }}
    from lags
    where days_after >= min_days
)

select * from final
