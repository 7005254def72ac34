{#- KPI 11.3 red-flag incidence: processes with at least one red flag / processes. A process is
    - a purchase order (not cancelled): flagged when the PO (RF01, RF06), one of its lines (RF17), an
      invoice citing it (RF13) or a payment citing it (RF04, RF12, RF14, RF15, RF16, RF18) has a flag;
      period = po_date, agency and supplier = the PO's;
    - a solicitation (not cancelled): flagged when the solicitation (RF08, RF09, RF10) or a contract that
      came from one of its awards (RF03, RF05, RF11) has a flag; period = issue_date (else close_date), agency = the
      solicitation's (NULL for a central office: state grain only), supplier = the winner of its first
      active award (NULL when none: state and agency grains only).
    Aggregate flags (RF02 agency-year, RF07 invoice without PO, RF19 quarter report, RF20 buyer pattern)
    belong to no single process and are not counted. Suppliers are resolved (supplier_key). -#}
with

purchase_orders as (
    select * from {{ ref('stg_raw__purchase_orders') }}
),

purchase_order_lines as (
    select * from {{ ref('stg_raw__purchase_order_lines') }}
),

invoices as (
    select * from {{ ref('stg_raw__invoices') }}
),

payments as (
    select * from {{ ref('stg_raw__payments') }}
),

solicitations as (
    select * from {{ ref('stg_raw__solicitations') }}
),

awards as (
    select * from {{ ref('stg_raw__awards') }}
),

contracts as (
    select * from {{ ref('stg_raw__contracts') }}
),

states as (
    select * from {{ ref('stg_raw__states') }}
),

suppliers as (
    select * from {{ ref('int_suppliers_resolved') }}
),

red_flags as (
    select * from {{ ref('red_flags') }}
),

flagged_purchase_orders as (
    select red_flags.entity_id as po_id
    from red_flags
    where red_flags.entity_type = 'purchase_order'
    union
    select purchase_order_lines.po_id
    from red_flags
    inner join purchase_order_lines
        on red_flags.entity_id = {{ dbt.concat([
            'purchase_order_lines.po_id', "':'",
            'cast(purchase_order_lines.line_number as ' ~ dbt.type_string() ~ ')']) }}
    where red_flags.entity_type = 'purchase_order_line'
    union
    select invoices.po_id
    from red_flags
    inner join invoices
        on red_flags.entity_id = invoices.invoice_id
    where
        red_flags.entity_type = 'invoice'
        and invoices.po_id is not null
    union
    select payments.po_id
    from red_flags
    inner join payments
        on red_flags.entity_id = payments.payment_id
    where
        red_flags.entity_type = 'payment'
        and payments.po_id is not null
),

flagged_solicitations as (
    select red_flags.entity_id as solicitation_id
    from red_flags
    where red_flags.entity_type = 'solicitation'
    union
    select awards.solicitation_id
    from red_flags
    inner join contracts
        on red_flags.entity_id = contracts.contract_id
    inner join awards
        on contracts.award_id = awards.award_id
    where red_flags.entity_type = 'contract'
),

first_awards as (
    select
        solicitation_id,
        supplier_id,
        row_number() over (
            partition by solicitation_id
            order by award_date asc nulls last, award_id asc nulls last
        ) as award_rank
    from awards
    where status = 'active'
),

processes as (
    select
        purchase_orders.state_code,
        purchase_orders.agency_id,
        purchase_orders.supplier_id,
        purchase_orders.po_date as process_date,
        flagged_purchase_orders.po_id is not null as is_flagged
    from purchase_orders
    left join flagged_purchase_orders
        on purchase_orders.po_id = flagged_purchase_orders.po_id
    where purchase_orders.status != 'cancelled'
    union all
    select
        solicitations.state_code,
        solicitations.agency_id,
        first_awards.supplier_id,
        coalesce(solicitations.issue_date, solicitations.close_date) as process_date,
        flagged_solicitations.solicitation_id is not null as is_flagged
    from solicitations
    left join flagged_solicitations
        on solicitations.solicitation_id = flagged_solicitations.solicitation_id
    left join first_awards
        on
            solicitations.solicitation_id = first_awards.solicitation_id
            and first_awards.award_rank = 1
    where solicitations.status != 'cancelled'
),

dated_processes as (
    select
        processes.state_code,
        processes.agency_id,
        suppliers.supplier_key as supplier_id,
        {{ fiscal_year('processes.process_date', 'states.fiscal_year_start_month') }} as fiscal_year,
        cast(case when processes.is_flagged then 1 else 0 end as decimal(18, 0)) as numerator,
        cast(1 as decimal(18, 0)) as denominator
    from processes
    left join states
        on processes.state_code = states.state_code
    left join suppliers
        on processes.supplier_id = suppliers.supplier_id
),

base as (
    select *
    from dated_processes
    -- a state missing from states has no fiscal calendar
    where fiscal_year is not null
),

final as (
    {{ kpi_rollup('base', '11.3', 11, method='ratio', grains=['A', 'V']) }}
)

select * from final
