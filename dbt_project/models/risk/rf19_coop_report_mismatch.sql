{#- RF19 cooperative sales-report mismatch (docs/red_flags.md): per master agreement, customer state and
    calendar quarter, P = the sum of payments by state agencies (agency_type state_agency) citing the master
    or one of its participating addenda (quarter of payment_date; refunds included), R = the sum of the
    coop_sales lines with customer_type state_agency (quarter of invoice_date; credits included). Flagged
    when max(P, R) > 0 and |P - R| / max(P, R) > tolerance. A side with no rows counts 0. The master is the
    payment's contract when that is a cooperative_master, or the master_contract_id of a participating
    addendum (when that contract is known); sales lines count when their master_contract_id is a known
    contract.
    amount = |P - R|; detected_at = the latest payment or sales-line date of the quarter. -#}
with

payments as (
    select * from {{ ref('stg_raw__payments') }}
),

agencies as (
    select * from {{ ref('stg_raw__agencies') }}
),

contracts as (
    select * from {{ ref('stg_raw__contracts') }}
),

coop_sales as (
    select * from {{ ref('stg_raw__coop_sales') }}
),

masters as (
    select contract_id
    from contracts
    where vehicle = 'cooperative_master'
),

master_of_contract as (
    select
        contract_id,
        contract_id as master_contract_id
    from masters
    union all
    select
        addenda.contract_id,
        addenda.master_contract_id
    from contracts as addenda
    inner join contracts as master_contracts
        on addenda.master_contract_id = master_contracts.contract_id
    where addenda.vehicle = 'participating_addendum'
),

paid as (
    select
        master_of_contract.master_contract_id,
        payments.state_code,
        cast(extract(year from payments.payment_date) as int) as calendar_year,
        {{ fiscal_quarter('cast(extract(month from payments.payment_date) as int)') }} as calendar_quarter,
        sum(payments.amount) as paid_amount,
        max(payments.payment_date) as last_date
    from payments
    inner join master_of_contract
        on payments.contract_id = master_of_contract.contract_id
    inner join agencies
        on payments.agency_id = agencies.agency_id
    where agencies.agency_type = 'state_agency'
    group by 1, 2, 3, 4
),

reported as (
    select
        master_contract_id,
        state_code,
        cast(extract(year from invoice_date) as int) as calendar_year,
        {{ fiscal_quarter('cast(extract(month from invoice_date) as int)') }} as calendar_quarter,
        sum(total) as reported_amount,
        max(invoice_date) as last_date
    from coop_sales
    where
        customer_type = 'state_agency'
        and master_contract_id in (select contracts.contract_id from contracts)
    group by 1, 2, 3, 4
),

compared as (
    select
        coalesce(paid.master_contract_id, reported.master_contract_id) as master_contract_id,
        coalesce(paid.state_code, reported.state_code) as state_code,
        coalesce(paid.calendar_year, reported.calendar_year) as calendar_year,
        coalesce(paid.calendar_quarter, reported.calendar_quarter) as calendar_quarter,
        coalesce(paid.paid_amount, 0) as paid_amount,
        coalesce(reported.reported_amount, 0) as reported_amount,
        case
            when reported.last_date is null or paid.last_date > reported.last_date then paid.last_date
            else reported.last_date
        end as last_date
    from paid
    full outer join reported
        on
            paid.master_contract_id = reported.master_contract_id
            and paid.state_code = reported.state_code
            and paid.calendar_year = reported.calendar_year
            and paid.calendar_quarter = reported.calendar_quarter
),

measured as (
    select
        master_contract_id,
        state_code,
        calendar_year,
        calendar_quarter,
        paid_amount,
        reported_amount,
        last_date,
        case when paid_amount >= reported_amount then paid_amount else reported_amount end as larger_amount,
        abs(paid_amount - reported_amount) as difference
    from compared
),

rule_parameters as (
    {{ red_flag_parameters('RF19', ['tolerance'], 'measured') }}
),

final as (
    select
        {{ red_flag_columns(
            'RF19', 'coop_report_mismatch', 'coop_report',
            entity_id=dbt.concat([
                'measured.master_contract_id', "':'", 'measured.state_code', "':'",
                'cast(measured.calendar_year as ' ~ dbt.type_string() ~ ')', "'Q'",
                'cast(measured.calendar_quarter as ' ~ dbt.type_string() ~ ')'
            ]),
            state_code='measured.state_code',
            agency_id='null',
            supplier_id='master_contracts.supplier_id',
            amount='measured.difference',
            detected_at='measured.last_date',
            evidence=dbt.concat([
                "'state-agency payments '", red_flag_money_text('measured.paid_amount'),
                "' vs reported sales '", red_flag_money_text('measured.reported_amount'),
                "': difference '", red_flag_money_text('measured.difference'), "' ('",
                red_flag_number_text(
                    'cast(measured.difference as ' ~ type_double() ~ ') / cast(measured.larger_amount as '
                    ~ type_double() ~ ')', 4),
                "' of the larger), tolerance '", red_flag_number_text('rule_parameters.tolerance', 2)
            ])
        ) }}
    from measured
    inner join rule_parameters
        on measured.state_code = rule_parameters.state_code
    left join contracts as master_contracts
        on measured.master_contract_id = master_contracts.contract_id
    where
        measured.larger_amount > 0
        and measured.difference > cast(rule_parameters.tolerance as decimal(18, 6)) * measured.larger_amount
)

select * from final
