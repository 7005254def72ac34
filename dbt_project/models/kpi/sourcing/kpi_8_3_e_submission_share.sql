{#- KPI 8.3: solicitations with electronic submission / solicitations. Every solicitation counts, whatever
    its status (a cancelled tender was still published with its submission channel). A solicitation whose
    export does not say how responses were received (is_electronic_submission NULL) is left out and counted
    in excluded_rows: unknown is not "paper", so a source without the flag gives no_data, never 0. Period:
    issue_date; state and agency are the solicitation's. -#}
with

solicitations as (
    select * from {{ ref('fct_solicitations') }}
),

base as (
    select
        state_code,
        agency_id,
        fiscal_year,
        is_electronic_submission,
        cast(case when is_electronic_submission then 1 else 0 end as decimal(18, 0)) as numerator,
        cast(1 as decimal(18, 0)) as denominator
    from solicitations
    where
        state_code is not null
        and fiscal_year is not null
),

final as (
    {{ kpi_rollup('base', '8.3', 8, method='ratio', grains=['A'], exclude_when='is_electronic_submission is null') }}
)

select * from final
