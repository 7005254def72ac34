{#- KPI 10.4: median days from a payment's date to the date its row was loaded into the warehouse (the
    load's _loaded_at, standing in for "published in a snapshot": the publication follows the load in the
    same run). State x payment fiscal year (catalogue grain S,source; payments are the one source measured). -#}
with

payments as (
    select * from {{ ref('int_payments_enriched') }}
),

loaded as (
    select * from {{ ref('stg_raw__payments') }}
),

base as (
    select
        payments.state_code,
        payments.fiscal_year,
        {{ dbt.datediff('payments.payment_date', 'cast(loaded._loaded_at as date)', 'day') }} as elapsed_days
    from payments
    inner join loaded
        on payments.payment_id = loaded.payment_id
    where
        payments.fiscal_year is not null
        and loaded._loaded_at is not null
),

final as (
    {{ kpi_rollup('base', '10.4', 10, method='median', grains=[]) }}
)

select * from final
