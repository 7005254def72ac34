{#- One row per procurement method of the canonical model (= OCDS tender.procurementMethod codelist).
    Competitive = open or selective (docs/kpi_rules.md); the descriptions are the OCDS codelist's. -#}
with

methods as (
    select
        'open' as procurement_method,
        true as is_competitive,
        1 as sort_order,
        'All interested suppliers may submit a tender.' as description
    union all
    select
        'selective' as procurement_method,
        true as is_competitive,
        2 as sort_order,
        'Only qualified suppliers are invited to submit a tender.' as description
    union all
    select
        'limited' as procurement_method,
        false as is_competitive,
        3 as sort_order,
        'The procuring entity contacts a number of suppliers of its choice.' as description
    union all
    select
        'direct' as procurement_method,
        false as is_competitive,
        4 as sort_order,
        'The contract is awarded to a single supplier without competition (sole source).' as description
),

final as (
    select
        cast(procurement_method as {{ dbt.type_string() }}) as procurement_method,
        is_competitive,
        cast(sort_order as int) as sort_order,
        cast(description as {{ dbt.type_string() }}) as description
    from methods
)

select * from final
