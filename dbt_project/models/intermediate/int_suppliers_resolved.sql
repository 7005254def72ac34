{#- v1 supplier resolution: one row per supplier record with the supplier_key of the real supplier.
    - a record with a tax id: key from the tax id (digits and letters only);
    - a record without one: key from its normalised name, except when exactly one tax id is known for
      that normalised name, then it joins that tax id's key (an unambiguous match only);
    Keys are hashes, so the tax id never leaves the working warehouse in clear. -#}
with

suppliers as (
    select * from {{ ref('stg_raw__suppliers') }}
),

normalised as (
    select
        supplier_id,
        supplier_name,
        nullif({{ regexp_replace_all('upper(tax_id)', '[^A-Z0-9]', '') }}, '') as tax_id_clean,
        {{ normalize_supplier_name('supplier_name') }} as normalized_name,
        supplier_state,
        is_small_business,
        is_diverse_business,
        registration_valid_from,
        registration_valid_to
    from suppliers
),

names_with_one_tax_id as (
    select
        normalized_name,
        min(tax_id_clean) as tax_id_clean
    from normalised
    where tax_id_clean is not null
    group by normalized_name
    having count(distinct tax_id_clean) = 1
),

resolved as (
    select
        normalised.supplier_id,
        normalised.supplier_name,
        normalised.normalized_name,
        normalised.supplier_state,
        normalised.is_small_business,
        normalised.is_diverse_business,
        normalised.registration_valid_from,
        normalised.registration_valid_to,
        case
            when normalised.tax_id_clean is not null then 'tax_id'
            when names_with_one_tax_id.tax_id_clean is not null then 'name_to_tax_id'
            else 'name'
        end as resolution_method,
        coalesce(normalised.tax_id_clean, names_with_one_tax_id.tax_id_clean) as resolved_tax_id
    from normalised
    left join names_with_one_tax_id
        on normalised.normalized_name = names_with_one_tax_id.normalized_name
),

final as (
    select
        supplier_id,
        case
            when resolved_tax_id is not null
                then {{ dbt.hash(dbt.concat(["'tax:'", 'resolved_tax_id'])) }}
            else {{ dbt.hash(dbt.concat(["'name:'", "coalesce(normalized_name, '')"])) }}
        end as supplier_key,
        case when resolved_tax_id is not null then 'tax_id' else 'name' end as key_basis,
        resolution_method,
        supplier_name,
        normalized_name,
        supplier_state,
        is_small_business,
        is_diverse_business,
        registration_valid_from,
        registration_valid_to
    from resolved
)

select * from final
