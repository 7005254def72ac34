{#- KPI 10.5 (a meta-KPI, macro kpis_meta): KPIs on target / KPIs with a target and data (status on_target,
    near or off), per grain, computed from the other KPIs' rows and statuses (kpi_values_base). Near counts
    as not on target. Grains: state and agency x fiscal year; a grain where no KPI could be judged has no row. -#}
with

kpi_values_base as (
    select * from {{ ref('kpi_values_base') }}
),

judged as (
    select
        state_code,
        agency_id,
        fiscal_year,
        sum(case when status = 'on_target' then 1 else 0 end) as kpis_on_target,
        count(*) as kpis_judged
    from kpi_values_base
    where
        category_code is null
        and supplier_id is null
        and fiscal_month is null
        and status in ('on_target', 'near', 'off')
    group by state_code, agency_id, fiscal_year
),

final as (
    select
        cast('10.5' as {{ dbt.type_string() }}) as kpi_id,
        cast(10 as int) as attribute_id,
        state_code,
        agency_id,
        cast(null as {{ dbt.type_string() }}) as category_code,
        cast(null as {{ dbt.type_string() }}) as supplier_id,
        fiscal_year,
        cast(null as int) as fiscal_month,
        cast(kpis_on_target as {{ kpi_number_type() }}) as numerator,
        cast(kpis_judged as {{ kpi_number_type() }}) as denominator,
        {{ kpi_ratio('kpis_on_target', 'kpis_judged') }} as value,
        cast(null as bigint) as excluded_rows
    from judged
)

select * from final
