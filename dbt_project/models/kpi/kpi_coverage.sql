{#- Published as kpi.kpi_coverage: per state, fiscal year and catalogued KPI, whether kpi_values has a value for
    the state-year, on which basis, and for a KPI without one, why: the inputs (seed kpi_inputs) the state does
    not deliver (int_kpi_inputs_missing), as "a or b; c" (each part separated by "; " is needed, "or" joins
    inputs that serve alike); kpi_values has no value for such a KPI. A KPI whose inputs are all delivered and still has no value had no rows in that
    year (e.g. no award dated in it). What `procure coverage` prints. -#}
with

kpi_values as (
    select * from {{ ref('kpi_values') }}
),

catalogue as (
    select * from {{ ref('kpi_catalogue') }}
),

state_year_cells as (
    select
        kpi_id,
        state_code,
        fiscal_year,
        value,
        status,
        basis,
        excluded_rows
    from kpi_values
    where
        agency_id is null
        and category_code is null
        and supplier_id is null
        and fiscal_month is null
),

grain_rows as (
    select
        kpi_id,
        state_code,
        fiscal_year,
        count(value) as rows_with_value
    from kpi_values
    group by
        kpi_id,
        state_code,
        fiscal_year
),

missing as (
    select * from {{ ref('int_kpi_inputs_missing') }}
),

final as (
    select
        state_year_cells.state_code,
        state_year_cells.fiscal_year,
        state_year_cells.kpi_id,
        catalogue.attribute_id,
        catalogue.kpi_name,
        state_year_cells.value is not null as is_computed,
        state_year_cells.status,
        state_year_cells.basis,
        coalesce(grain_rows.rows_with_value, 0) as rows_with_value,
        state_year_cells.excluded_rows,
        missing.missing_inputs,
        case
            when missing.missing_inputs is not null then 'inputs missing'
            when state_year_cells.value is not null then 'computed'
            else 'no rows in the period'
        end as coverage,
        case when state_year_cells.value is null then catalogue.no_data_reason end as no_data_reason
    from state_year_cells
    left join catalogue
        on state_year_cells.kpi_id = catalogue.kpi_id
    left join grain_rows
        on
            state_year_cells.kpi_id = grain_rows.kpi_id
            and state_year_cells.state_code = grain_rows.state_code
            and state_year_cells.fiscal_year = grain_rows.fiscal_year
    left join missing
        on
            state_year_cells.kpi_id = missing.kpi_id
            and state_year_cells.state_code = missing.state_code
)

select * from final
