{#- KPI 10.3 (a meta-KPI, macro kpis_meta): KPIs with data / KPIs defined, per grain, computed from the
    other KPIs' rows (kpi_values_base). KPIs defined at state x fiscal year = every catalogued KPI except
    the meta-KPIs (every KPI is written at that grain); at agency x fiscal year = those whose catalogue
    grains include A. With data = a row at that exact grain with a value. Rows exist for the state-years
    and agency-years that have any KPI row. -#}
with

kpi_values_base as (
    select * from {{ ref('kpi_values_base') }}
),

definitions as (
    select * from {{ ref('kpi_definitions') }}
),

defined as (
    select
        kpi_id,
        {{ dbt.concat(["','", "replace(grains, ' ', '')", "','"]) }} like '%,A,%' as is_defined_for_agency
    from definitions
    where kpi_id not in ({{ computed_kpi_id_list(kpis_meta()) }})
),

defined_counts as (
    select
        count(*) as state_defined,
        sum(case when is_defined_for_agency then 1 else 0 end) as agency_defined
    from defined
),

grain_rows as (
    select
        kpi_values_base.state_code,
        kpi_values_base.agency_id,
        kpi_values_base.fiscal_year,
        kpi_values_base.kpi_id,
        kpi_values_base.value,
        defined.kpi_id as defined_kpi_id,
        defined.is_defined_for_agency
    from kpi_values_base
    left join defined
        on kpi_values_base.kpi_id = defined.kpi_id
    where
        kpi_values_base.category_code is null
        and kpi_values_base.supplier_id is null
        and kpi_values_base.fiscal_month is null
),

with_data as (
    select
        state_code,
        agency_id,
        fiscal_year,
        count(
            distinct case
                when
                    value is not null
                    and defined_kpi_id is not null
                    and (agency_id is null or is_defined_for_agency)
                    then kpi_id
            end
        ) as kpis_with_data
    from grain_rows
    group by state_code, agency_id, fiscal_year
),

final as (
    select
        cast('10.3' as {{ dbt.type_string() }}) as kpi_id,
        cast(10 as int) as attribute_id,
        with_data.state_code,
        with_data.agency_id,
        cast(null as {{ dbt.type_string() }}) as category_code,
        cast(null as {{ dbt.type_string() }}) as supplier_id,
        with_data.fiscal_year,
        cast(null as int) as fiscal_month,
        cast(with_data.kpis_with_data as {{ kpi_number_type() }}) as numerator,
        cast(
            case
                when with_data.agency_id is null then defined_counts.state_defined
                else defined_counts.agency_defined
            end as {{ kpi_number_type() }}
        ) as denominator,
        {{ kpi_ratio('with_data.kpis_with_data',
            'case when with_data.agency_id is null then defined_counts.state_defined'
            ~ ' else defined_counts.agency_defined end') }} as value,
        cast(null as bigint) as excluded_rows
    from with_data
    cross join defined_counts
)

select * from final
