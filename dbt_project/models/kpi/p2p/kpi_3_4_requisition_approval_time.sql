{#- KPI 3.4: median days from requisition creation to approval. Population: requisitions with an
    approved_date that are not cancelled (a cancelled requisition's date is not an approval). Period: the
    fiscal period of approved_date in the requisition state's calendar; category: the family of the
    requisition's commodity (known codes only). -#}
with

requisitions as (
    select * from {{ ref('stg_raw__requisitions') }}
),

states as (
    select * from {{ ref('dim_state') }}
),

commodities as (
    select * from {{ ref('dim_commodity') }}
),

base as (
    select
        requisitions.state_code,
        requisitions.agency_id,
        commodities.category_code,
        {{ fiscal_year('requisitions.approved_date', 'states.fiscal_year_start_month') }} as fiscal_year,
        {{ fiscal_month('requisitions.approved_date', 'states.fiscal_year_start_month') }} as fiscal_month,
        {{ dbt.datediff('requisitions.created_date', 'requisitions.approved_date', 'day') }} as elapsed_days
    from requisitions
    inner join states
        on requisitions.state_code = states.state_code
    left join commodities
        on requisitions.commodity_code = commodities.commodity_code
    where
        requisitions.approved_date is not null
        and requisitions.status != 'cancelled'
),

final as (
    {{ kpi_rollup('base', '3.4', 3, method='median', grains=['A', 'C', 'M']) }}
)

select * from final
