{#- For each KPI and state: the KPI's requirements (seed kpi_inputs) that the state does not meet, i.e. none of
    the requirement's inputs is delivered (int_input_availability; an input with a NULL state serves every
    state). One row per KPI and state with at least one unmet requirement; missing_inputs lists them as
    "a or b; c" ("; " between requirements, " or " between the inputs of one). kpi_values publishes the KPI as
    no_data for that state, and kpi_coverage names what would unlock it: a KPI is never computed from an input
    the source does not carry (no spend under management of 0 for a source without contracts). -#}
with

kpi_inputs as (
    select * from {{ ref('kpi_inputs') }}
),

availability as (
    select * from {{ ref('int_input_availability') }}
),

states as (
    select distinct state_code
    from availability
    where state_code is not null
),

requirements as (
    select
        kpi_inputs.kpi_id,
        states.state_code,
        kpi_inputs.requirement,
        max(case when availability.input is not null then 1 else 0 end) as is_met,
        {{ sorted_distinct_listagg('kpi_inputs.input', "' or '") }} as inputs_text
    from kpi_inputs
    cross join states
    left join availability
        on
            kpi_inputs.input = availability.input
            and (states.state_code = availability.state_code or availability.state_code is null)
    group by
        kpi_inputs.kpi_id,
        states.state_code,
        kpi_inputs.requirement
),

final as (
    select
        kpi_id,
        state_code,
        {{ sorted_distinct_listagg('inputs_text', "'; '") }} as missing_inputs
    from requirements
    where is_met = 0
    group by
        kpi_id,
        state_code
)

select * from final
