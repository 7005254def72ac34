{#- RF12 excluded payee (docs/red_flags.md): a payment (amount > 0) to a supplier record whose tax_id
    equals an exclusion's tax_id, or whose normalised name equals the exclusion's normalised
    excluded_name, with start_date <= payment_date <= coalesce(end_date, infinity) and the exclusion's
    state empty (federal) or the paying state. One row per payment (the first matching exclusion by
    exclusion_id is named). The tax id itself never enters the evidence (it is sensitive). -#}
with

payments as (
    select * from {{ ref('stg_raw__payments') }}
),

suppliers as (
    select * from {{ ref('stg_raw__suppliers') }}
),

exclusions as (
    select * from {{ ref('stg_raw__exclusions') }}
),

supplier_keys as (
    select
        supplier_id,
        supplier_name,
        tax_id,
        nullif({{ red_flag_normalised_name('supplier_name') }}, '') as normalised_name
    from suppliers
),

exclusion_keys as (
    select
        exclusion_id,
        excluded_name,
        tax_id,
        state_code,
        authority,
        start_date,
        end_date,
        nullif({{ red_flag_normalised_name('excluded_name') }}, '') as normalised_name
    from exclusions
),

supplier_exclusions as (
    -- the supplier records matching an exclusion, found first on the small tables by two equi-joins (tax id,
    -- normalised name; union drops a pair matched both ways) rather than by an OR join behind the payments
    select
        supplier_keys.supplier_id,
        exclusion_keys.exclusion_id
    from supplier_keys
    inner join exclusion_keys
        on supplier_keys.tax_id = exclusion_keys.tax_id
    union
    select
        supplier_keys.supplier_id,
        exclusion_keys.exclusion_id
    from supplier_keys
    inner join exclusion_keys
        on supplier_keys.normalised_name = exclusion_keys.normalised_name
),

matches as (
    select
        payments.payment_id,
        payments.state_code,
        payments.agency_id,
        payments.supplier_id,
        payments.payment_date,
        payments.amount,
        exclusion_keys.exclusion_id,
        exclusion_keys.excluded_name,
        exclusion_keys.authority,
        exclusion_keys.start_date,
        case
            when supplier_keys.tax_id = exclusion_keys.tax_id then 'tax id'
            else 'normalised name'
        end as matched_on,
        row_number() over (
            partition by payments.payment_id
            order by exclusion_keys.exclusion_id asc nulls last
        ) as match_rank
    from payments
    inner join supplier_exclusions
        on payments.supplier_id = supplier_exclusions.supplier_id
    inner join supplier_keys
        on supplier_exclusions.supplier_id = supplier_keys.supplier_id
    inner join exclusion_keys
        on supplier_exclusions.exclusion_id = exclusion_keys.exclusion_id
    where
        payments.amount > 0
        and exclusion_keys.start_date <= payments.payment_date
        and (exclusion_keys.end_date is null or payments.payment_date <= exclusion_keys.end_date)
        and (exclusion_keys.state_code is null or exclusion_keys.state_code = payments.state_code)
),

final as (
    select
        {{ red_flag_columns(
            'RF12', 'excluded_payee', 'payment',
            entity_id='payment_id',
            state_code='state_code',
            agency_id='agency_id',
            supplier_id='supplier_id',
            amount='amount',
            detected_at='payment_date',
            evidence=dbt.concat([
                "'payment of '", red_flag_money_text('amount'), "' on '", red_flag_date_text('payment_date'),
                "' to a supplier matching exclusion '", 'exclusion_id', "' ('", 'excluded_name', "', '",
                'authority', "', from '", red_flag_date_text('start_date'), "') by '", 'matched_on'
            ])
        ) }}
    from matches
    where match_rank = 1
)

select * from final
