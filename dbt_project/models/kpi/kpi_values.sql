{#- Every KPI of the catalogue at every grain, with its target and status (docs/kpi_rules.md):
    - the registered KPIs' rows with their status (kpi_values_base);
    - the meta-KPIs (macro kpis_meta: 10.3 KPI coverage, 10.5 KPIs on target), computed from
      kpi_values_base by their own models, with their own targets and status;
    - "no data, never zero": for each state and fiscal year present in those rows (a state with none: the
      fiscal years its contracts start in), a no_data row
      (numerator, denominator and value NULL, the applicable target kept for context) for every
      catalogued KPI that has no row at state x fiscal year, so that a reader sees "no data" rather than a
      missing tile. -#}
with

definitions as (
    select * from {{ ref('kpi_definitions') }}
),

targets as (
    select * from {{ ref('kpi_targets') }}
),

spend_basis as (
    select * from {{ ref('int_spend_basis') }}
),

inputs_missing as (
    select * from {{ ref('int_kpi_inputs_missing') }}
),

base as (
    select * from {{ ref('kpi_values_base') }}
),

contracts as (
    select * from {{ ref('dim_contract') }}
),

states as (
    select * from {{ ref('dim_state') }}
),

meta_rows as (
    {{ union_computed_kpis(kpis_meta()) }}
),

computed_rows as (
    select
        kpi_id,
        state_code,
        agency_id,
        category_code,
        supplier_id,
        fiscal_year,
        fiscal_month
    from base
    union all
    select
        kpi_id,
        state_code,
        agency_id,
        category_code,
        supplier_id,
        fiscal_year,
        fiscal_month
    from meta_rows
),

computed_state_years as (
    select distinct
        state_code,
        fiscal_year
    from computed_rows
),

{# A state whose data gives no KPI at all (e.g. a source of contracts only) still gets its no_data rows:
    for the fiscal years its contracts start in, so that the snapshot says "no data, and why" for it. #}
computed_states as (
    select distinct state_code
    from computed_state_years
),

contract_state_years as (
    select distinct
        contracts.state_code,
        {{ fiscal_year('contracts.start_date', 'states.fiscal_year_start_month') }} as fiscal_year
    from contracts
    inner join states
        on contracts.state_code = states.state_code
    left join computed_states
        on contracts.state_code = computed_states.state_code
    where
        contracts.start_date is not null
        and computed_states.state_code is null
),

state_years as (
    select
        state_code,
        fiscal_year
    from computed_state_years
    union
    select
        state_code,
        fiscal_year
    from contract_state_years
),

state_year_rows as (
    select distinct
        kpi_id,
        state_code,
        fiscal_year
    from computed_rows
    where
        agency_id is null
        and category_code is null
        and supplier_id is null
        and fiscal_month is null
),

no_data_rows as (
    select
        definitions.kpi_id,
        definitions.attribute_id,
        state_years.state_code,
        cast(null as {{ dbt.type_string() }}) as agency_id,
        cast(null as {{ dbt.type_string() }}) as category_code,
        cast(null as {{ dbt.type_string() }}) as supplier_id,
        state_years.fiscal_year,
        cast(null as int) as fiscal_month,
        cast(null as {{ kpi_number_type() }}) as numerator,
        cast(null as {{ kpi_number_type() }}) as denominator,
        cast(null as {{ type_double() }}) as value,
        cast(null as bigint) as excluded_rows
    from state_years
    cross join definitions
    left join state_year_rows
        on
            definitions.kpi_id = state_year_rows.kpi_id
            and state_years.state_code = state_year_rows.state_code
            and state_years.fiscal_year = state_year_rows.fiscal_year
    where state_year_rows.kpi_id is null
),

added_rows as (
    select
        {{ kpi_value_columns() }}
    from meta_rows
    union all
    select
        {{ kpi_value_columns() }}
    from no_data_rows
),

{{ kpi_status_ctes('added_rows') }},

final as (
    select
        {{ kpi_value_columns(with_status=true) }}
    from base
    union all
    select
        {{ kpi_value_columns(with_status=true) }}
    from kpi_status
)

select * from final
