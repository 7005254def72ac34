{#- One row per resolved supplier (supplier_key). Tax ids and e-mail addresses are not carried: the key
    is a hash, and the representative name is the most frequent name among the supplier's records. -#}
with

resolved as (
    select * from {{ ref('int_suppliers_resolved') }}
),

name_counts as (
    select
        supplier_key,
        supplier_name,
        normalized_name,
        supplier_state,
        count(*) as name_records
    from resolved
    group by supplier_key, supplier_name, normalized_name, supplier_state
),

ranked_names as (
    select
        supplier_key,
        supplier_name,
        normalized_name,
        supplier_state,
        row_number() over (
            partition by supplier_key
            order by
                name_records desc,
                supplier_name asc nulls last,
                normalized_name asc nulls last,
                supplier_state asc nulls last
        ) as name_rank
    from name_counts
),

supplier_totals as (
    select
        supplier_key,
        min(key_basis) as key_basis,
        count(*) as source_record_count,
        -- true when any record is certified, false when a record says not and none says so, NULL (unknown)
        -- when no record says either way: a source without certification data is not "no small business"
        max(case when is_small_business then 1 when not is_small_business then 0 end) = 1 as is_small_business,
        max(case when is_diverse_business then 1 when not is_diverse_business then 0 end) = 1
            as is_diverse_business
    from resolved
    group by supplier_key
),

final as (
    select
        supplier_totals.supplier_key,
        ranked_names.supplier_name,
        ranked_names.normalized_name,
        ranked_names.supplier_state,
        supplier_totals.key_basis,
        supplier_totals.source_record_count,
        supplier_totals.is_small_business,
        supplier_totals.is_diverse_business
    from supplier_totals
    inner join ranked_names
        on
            supplier_totals.supplier_key = ranked_names.supplier_key
            and ranked_names.name_rank = 1
)

select * from final
