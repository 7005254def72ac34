{#- Published as kpi.kpi_definitions: the KPI catalogue (seed kpi_definitions, from KPI_CATALOGUE.md)
    with attribute names, and whether kpi_values computes the KPI yet. The model cannot be named
    kpi_definitions itself: dbt refuses a model and a seed with the same name (ref would be ambiguous),
    so it is aliased (and its Dagster asset key set in the yml). -#}
{{ config(alias='kpi_definitions') }}

with

definitions as (
    select * from {{ ref('kpi_definitions') }}
),

attributes as (
    select * from {{ ref('attributes') }}
),

-- formula, source tables, caveats and the reason a KPI reports no_data: one seed per domain
notes as (
    select * from {{ ref('kpi_notes_foundation') }}
    union all
    select * from {{ ref('kpi_notes_p2p') }}
    union all
    select * from {{ ref('kpi_notes_sourcing') }}
    union all
    select * from {{ ref('kpi_notes_organisation') }}
    union all
    select * from {{ ref('kpi_notes_savings') }}
    union all
    select * from {{ ref('kpi_notes_risk') }}
),

final as (
    select
        definitions.kpi_id,
        definitions.attribute_id,
        attributes.attribute_name,
        definitions.kpi_name,
        definitions.kind,
        definitions.unit,
        definitions.direction,
        definitions.description,
        definitions.grains,
        notes.formula,
        notes.source_tables,
        notes.caveats,
        notes.no_data_reason,
        coalesce(definitions.kpi_id in ({{ computed_kpi_id_list() }}), false) as is_computed,
        definitions.basis
    from definitions
    left join attributes
        on definitions.attribute_id = attributes.attribute_id
    left join notes
        on definitions.kpi_id = notes.kpi_id
)

select * from final
