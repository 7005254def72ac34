{#- One row per attribute (1-12) of the maturity framework (seed attributes), with what it measures and
    how many KPIs of each kind the catalogue (seed kpi_definitions) gives it, and how many are computed. -#}
with

attributes as (
    select * from {{ ref('attributes') }}
),

definitions as (
    select * from {{ ref('kpi_definitions') }}
),

kpi_counts as (
    select
        attribute_id,
        count(*) as kpi_count,
        sum(case when kind = 'savings' then 1 else 0 end) as savings_kpi_count,
        sum(case when kind = 'cycle_time' then 1 else 0 end) as cycle_time_kpi_count,
        sum(case when kind = 'compliance' then 1 else 0 end) as compliance_kpi_count,
        sum(case when kind = 'other' then 1 else 0 end) as other_kpi_count,
        sum(case when kpi_id in ({{ computed_kpi_id_list() }}) then 1 else 0 end) as computed_kpi_count
    from definitions
    group by attribute_id
),

final as (
    select
        attributes.attribute_id,
        attributes.attribute_name,
        -- what the attribute measures, in one line (candidates for a description column in seed attributes)
        case attributes.attribute_id
            when 1 then 'How much of the spend procurement manages and sources, and at what cost.'
            when 2 then 'How spend is consolidated on statewide and cooperative vehicles and spread over suppliers.'
            when 3 then 'How demand is shaped: order sizes, emergencies, price versus volume, approval speed.'
            when 4 then 'How competitive, fast and productive the sourcing events are.'
            when 5 then 'Whether contracts hold to their value, term, ceiling and prices.'
            when 6 then 'How suppliers perform, and how concentrated, diverse and registered the supplier base is.'
            when 7 then 'How fast and clean the requisition-to-payment chain runs.'
            when 8 then 'How much buying, approving and invoicing runs through electronic channels and catalogs.'
            when 9 then 'Certification, training, staffing and productivity of the procurement workforce.'
            when 10 then 'Whether savings are realised, and whether the data and KPIs to steer by exist and are met.'
            when 11 then 'Exposure to excluded parties, single sources, red flags, expiring contracts, duplicates.'
            when 12 then 'Off-contract, non-competitive and after-the-fact buying, and cooperative fee compliance.'
        end as description,
        coalesce(kpi_counts.kpi_count, 0) as kpi_count,
        coalesce(kpi_counts.savings_kpi_count, 0) as savings_kpi_count,
        coalesce(kpi_counts.cycle_time_kpi_count, 0) as cycle_time_kpi_count,
        coalesce(kpi_counts.compliance_kpi_count, 0) as compliance_kpi_count,
        coalesce(kpi_counts.other_kpi_count, 0) as other_kpi_count,
        coalesce(kpi_counts.computed_kpi_count, 0) as computed_kpi_count
    from attributes
    left join kpi_counts
        on attributes.attribute_id = kpi_counts.attribute_id
)

select * from final
