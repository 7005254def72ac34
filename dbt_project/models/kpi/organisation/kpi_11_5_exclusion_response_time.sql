{#- KPI 11.5: days from an exclusion's start to the last payment (amount > 0) the state made to the excluded
    supplier inside the exclusion's dates, 0 when it paid nothing after the start; the median over the
    exclusions of suppliers the state has paid. A supplier record matches an exclusion as in red flag RF12:
    same tax id (letters and digits compared) or same normalised name; the exclusion's state_code empty
    (federal) or the paying state. Only exclusions starting inside the state's payment data (first to last
    payment date) count: earlier payments are not visible. Period: the fiscal year of the exclusion's
    start in the state's calendar. Grains: state and supplier (resolved supplier_key) x fiscal year. -#}
with

exclusions as (
    select * from {{ ref('stg_raw__exclusions') }}
),

suppliers as (
    select * from {{ ref('stg_raw__suppliers') }}
),

payments as (
    select * from {{ ref('fct_payments') }}
),

dates as (
    select * from {{ ref('dim_date') }}
),

exclusion_keys as (
    select
        exclusion_id,
        state_code,
        start_date,
        end_date,
        nullif({{ regexp_replace_all('upper(tax_id)', '[^A-Z0-9]', '') }}, '') as tax_id_clean,
        {{ normalize_supplier_name('excluded_name') }} as normalized_name
    from exclusions
),

supplier_keys as (
    select
        supplier_id,
        nullif({{ regexp_replace_all('upper(tax_id)', '[^A-Z0-9]', '') }}, '') as tax_id_clean,
        {{ normalize_supplier_name('supplier_name') }} as normalized_name
    from suppliers
),

matches as (
    select distinct
        exclusion_keys.exclusion_id,
        exclusion_keys.state_code as list_state_code,
        exclusion_keys.start_date,
        exclusion_keys.end_date,
        supplier_keys.supplier_id
    from exclusion_keys
    inner join supplier_keys
        on
            exclusion_keys.tax_id_clean = supplier_keys.tax_id_clean
            or exclusion_keys.normalized_name = supplier_keys.normalized_name
),

purchases as (
    select
        state_code,
        supplier_id,
        supplier_key,
        payment_date
    from payments
    where amount > 0
),

state_ranges as (
    select
        state_code,
        min(payment_date) as first_payment_date,
        max(payment_date) as last_payment_date
    from purchases
    group by state_code
),

exposures as (
    select
        matches.exclusion_id,
        purchases.state_code,
        purchases.supplier_key,
        matches.start_date,
        max(
            case
                when
                    purchases.payment_date >= matches.start_date
                    and (matches.end_date is null or purchases.payment_date <= matches.end_date)
                    then purchases.payment_date
            end
        ) as last_payment_in_exclusion
    from matches
    inner join purchases
        on
            matches.supplier_id = purchases.supplier_id
            and (matches.list_state_code is null or matches.list_state_code = purchases.state_code)
    group by
        matches.exclusion_id,
        purchases.state_code,
        purchases.supplier_key,
        matches.start_date
),

base as (
    select
        exposures.state_code,
        exposures.supplier_key as supplier_id,
        dates.fiscal_year,
        case
            when exposures.last_payment_in_exclusion is null then 0
            else {{ dbt.datediff('exposures.start_date', 'exposures.last_payment_in_exclusion', 'day') }}
        end as elapsed_days
    from exposures
    inner join state_ranges
        on exposures.state_code = state_ranges.state_code
    inner join dates
        on
            exposures.state_code = dates.state_code
            and exposures.start_date = dates.date_day
    where
        exposures.start_date >= state_ranges.first_payment_date
        and exposures.start_date <= state_ranges.last_payment_date
),

final as (
    {{ kpi_rollup('base', '11.5', 11, method='median', grains=['V']) }}
)

select * from final
