{#- Every computed KPI at every grain, with its target and status (docs/kpi_rules.md). The KPI rows come from
    one model per KPI (macro computed_kpis; their refs are in macro union_computed_kpis, so the import
    CTEs here are only the lookups); targets are data (seed kpi_targets), the most specific
    matching row winning: state + year, then state, then year, then the all-states-all-years row. -#}
with

definitions as (
    select * from {{ ref('kpi_definitions') }}
),

targets as (
    select * from {{ ref('kpi_targets') }}
),

kpi_rows as (
    -- one select per KPI model (macro union_computed_kpis): adding a KPI adds no SQL here
    {{ union_computed_kpis() }}
),

target_periods as (
    select distinct
        kpi_id,
        state_code,
        fiscal_year
    from kpi_rows
),

ranked_targets as (
    select
        target_periods.kpi_id,
        target_periods.state_code,
        target_periods.fiscal_year,
        targets.target,
        targets.near_tolerance,
        row_number() over (
            partition by target_periods.kpi_id, target_periods.state_code, target_periods.fiscal_year
            order by
                case when targets.state_code is not null then 2 else 0 end
                + case when targets.fiscal_year is not null then 1 else 0 end desc,
                targets.target asc nulls last
        ) as target_rank
    from target_periods
    inner join targets
        on
            target_periods.kpi_id = targets.kpi_id
            and (targets.state_code is null or target_periods.state_code = targets.state_code)
            and (targets.fiscal_year is null or target_periods.fiscal_year = targets.fiscal_year)
),

applicable_targets as (
    select
        kpi_id,
        state_code,
        fiscal_year,
        target,
        coalesce(near_tolerance, 0) as near_tolerance
    from ranked_targets
    where target_rank = 1
),

final as (
    select
        kpi_rows.kpi_id,
        kpi_rows.attribute_id,
        kpi_rows.state_code,
        kpi_rows.agency_id,
        kpi_rows.category_code,
        kpi_rows.supplier_id,
        kpi_rows.fiscal_year,
        kpi_rows.fiscal_month,
        cast(kpi_rows.numerator as decimal(38, 4)) as numerator,
        cast(kpi_rows.denominator as decimal(38, 4)) as denominator,
        cast(kpi_rows.value as {{ type_double() }}) as value,
        cast(applicable_targets.target as {{ type_double() }}) as target,
        case
            when kpi_rows.value is null then 'no_data'
            when applicable_targets.target is null then 'no_target'
            when definitions.direction = 'up' and kpi_rows.value >= applicable_targets.target
                then 'on_target'
            when
                definitions.direction = 'up'
                and kpi_rows.value >= applicable_targets.target - applicable_targets.near_tolerance
                then 'near'
            when definitions.direction = 'up' then 'off'
            when definitions.direction = 'down' and kpi_rows.value <= applicable_targets.target
                then 'on_target'
            when
                definitions.direction = 'down'
                and kpi_rows.value <= applicable_targets.target + applicable_targets.near_tolerance
                then 'near'
            when definitions.direction = 'down' then 'off'
            -- a target on a KPI without a better direction ("context") cannot be judged
            else 'no_target'
        end as status
    from kpi_rows
    left join definitions
        on kpi_rows.kpi_id = definitions.kpi_id
    left join applicable_targets
        on
            kpi_rows.kpi_id = applicable_targets.kpi_id
            and kpi_rows.state_code = applicable_targets.state_code
            and kpi_rows.fiscal_year = applicable_targets.fiscal_year
)

select * from final
