{#- KPI 5.6: median days from award_date to the signed_date of the contract that cites the award, over
    active awards with a signed contract. Period: the contract's signed_date (in the solicitation state's
    calendar); state, agency and category are the solicitation's (as 4.1). -#}
with

awards as (
    select * from {{ ref('fct_awards') }}
),

base as (
    select
        state_code,
        agency_id,
        category_code,
        signed_fiscal_year as fiscal_year,
        award_to_signature_days as elapsed_days
    from awards
    where
        is_active
        and award_to_signature_days is not null
        and state_code is not null
        and signed_fiscal_year is not null
),

final as (
    {{ kpi_rollup('base', '5.6', 5, method='median', grains=['A', 'C']) }}
)

select * from final
