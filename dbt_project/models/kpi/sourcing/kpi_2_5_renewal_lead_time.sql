{#- KPI 2.5: median of (successor start_date - predecessor effective end) in days over contracts that have a
    successor (dim_contract's rule); negative = overlap, positive = gap. Period: the predecessor's effective
    end in its state's calendar; agency (NULL for statewide / cooperative) and category are the predecessor's. -#}
with

contracts as (
    select * from {{ ref('dim_contract') }}
),

base as (
    select
        state_code,
        agency_id,
        category_code,
        effective_end_fiscal_year as fiscal_year,
        renewal_lead_days as elapsed_days
    from contracts
    where
        has_successor
        and effective_end_fiscal_year is not null
),

final as (
    {{ kpi_rollup('base', '2.5', 2, method='median', grains=['A', 'C'], exclude_when=false) }}
)

select * from final
