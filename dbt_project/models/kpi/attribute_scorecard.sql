{#- One row per state (agency_id NULL) or state x agency, x attribute x fiscal year: a 0-100 score of the
    attribute's standing against target (docs/scorecard.md). Each KPI of the attribute that is defined at
    the grain and has a value and a target is scored from its status: on_target 100, near 50, off 0; the
    score is the mean over those KPIs. KPIs without data (no_data) or without a target or a better
    direction (no_target) are not scored and are counted separately. KPIs defined at the agency grain are
    those whose catalogue grains include A. -#}
with

kpi_values as (
    select * from {{ ref('kpi_values') }}
),

definitions as (
    select * from {{ ref('kpi_definitions') }}
),

attributes as (
    select * from {{ ref('attributes') }}
),

defined as (
    select
        kpi_id,
        attribute_id,
        {{ dbt.concat(["','", "replace(grains, ' ', '')", "','"]) }} like '%,A,%' as is_defined_for_agency
    from definitions
),

defined_counts as (
    select
        attribute_id,
        count(*) as state_defined,
        sum(case when is_defined_for_agency then 1 else 0 end) as agency_defined
    from defined
    group by attribute_id
),

-- the rows of the two grains: the whole state, and an agency of it (no category, supplier or month)
grain_values as (
    select
        kpi_values.state_code,
        kpi_values.agency_id,
        kpi_values.fiscal_year,
        kpi_values.kpi_id,
        kpi_values.value,
        kpi_values.status,
        defined.attribute_id,
        defined.is_defined_for_agency
    from kpi_values
    inner join defined
        on kpi_values.kpi_id = defined.kpi_id
    where
        kpi_values.category_code is null
        and kpi_values.supplier_id is null
        and kpi_values.fiscal_month is null
),

grain_periods as (
    select distinct
        state_code,
        agency_id,
        fiscal_year
    from grain_values
),

kpi_standing as (
    select
        state_code,
        agency_id,
        fiscal_year,
        attribute_id,
        count(distinct case when value is not null then kpi_id end) as kpis_with_data,
        sum(case when status in ('on_target', 'near', 'off') then 1 else 0 end) as kpis_scored,
        sum(case when status = 'on_target' then 1 else 0 end) as kpis_on_target,
        sum(case when status = 'near' then 1 else 0 end) as kpis_near,
        sum(case when status = 'off' then 1 else 0 end) as kpis_off
    from grain_values
    -- at the agency grain only the KPIs the catalogue defines there
    where agency_id is null or is_defined_for_agency
    group by state_code, agency_id, fiscal_year, attribute_id
),

scored as (
    select
        grain_periods.state_code,
        grain_periods.agency_id,
        grain_periods.fiscal_year,
        attributes.attribute_id,
        attributes.attribute_name,
        case
            when grain_periods.agency_id is null then coalesce(defined_counts.state_defined, 0)
            else coalesce(defined_counts.agency_defined, 0)
        end as kpis_defined,
        coalesce(kpi_standing.kpis_with_data, 0) as kpis_with_data,
        coalesce(kpi_standing.kpis_scored, 0) as kpis_scored,
        coalesce(kpi_standing.kpis_on_target, 0) as kpis_on_target,
        coalesce(kpi_standing.kpis_near, 0) as kpis_near,
        coalesce(kpi_standing.kpis_off, 0) as kpis_off,
        cast(100 * (kpi_standing.kpis_on_target + 0.5 * kpi_standing.kpis_near) as {{ type_double() }})
        / nullif(cast(kpi_standing.kpis_scored as {{ type_double() }}), 0) as score
    from grain_periods
    cross join attributes
    left join defined_counts
        on attributes.attribute_id = defined_counts.attribute_id
    left join kpi_standing
        on
            grain_periods.state_code = kpi_standing.state_code
            and grain_periods.fiscal_year = kpi_standing.fiscal_year
            and attributes.attribute_id = kpi_standing.attribute_id
            and (
                grain_periods.agency_id = kpi_standing.agency_id
                or (grain_periods.agency_id is null and kpi_standing.agency_id is null)
            )
),

final as (
    select
        scored.state_code,
        scored.agency_id,
        scored.attribute_id,
        scored.attribute_name,
        scored.fiscal_year,
        scored.score,
        scored.kpis_scored,
        scored.kpis_on_target,
        scored.kpis_near,
        scored.kpis_off,
        scored.kpis_with_data,
        scored.kpis_defined,
        previous.score as previous_score,
        scored.score - previous.score as score_change
    from scored
    left join scored as previous
        on
            scored.state_code = previous.state_code
            and scored.attribute_id = previous.attribute_id
            and scored.fiscal_year = previous.fiscal_year + 1
            and (
                scored.agency_id = previous.agency_id
                or (scored.agency_id is null and previous.agency_id is null)
            )
)

select * from final
