{#- Supplier resolution: one row per supplier record with the supplier_key of the real supplier.
    The resolution itself runs in Python before dbt (ingestion/resolution/suppliers.py, Dagster asset
    resolution/supplier_matches): tax id, normalised name, name without the legal form and fuzzy names
    (rapidfuzz), with a veto on conflicting tax ids. This model takes the key, the method, the score and the
    evidence from its table and adds the record's attributes.
    A record the step has not seen yet (loaded after its last run, e.g. dbt materialised alone after a
    landing-sensor load) falls back to the v1 rule without the name-to-tax-id step: the key of its own tax
    id, else of its normalised name, with resolution_method 'unresolved' (a warning test counts them).
    The pre-hook creates the step's table empty when the warehouse has none yet (a fresh warehouse built by
    dbt alone): every record is then unresolved. Keys are hashes: no tax id in clear. -#}
{{ config(pre_hook=[
    "create schema if not exists resolution",
    "create table if not exists {{ source('resolution', 'supplier_matches') }} ("
    ~ " supplier_id {{ dbt.type_string() }}, supplier_key {{ dbt.type_string() }},"
    ~ " key_basis {{ dbt.type_string() }}, method {{ dbt.type_string() }}, score decimal(5, 2),"
    ~ " matched_supplier_id {{ dbt.type_string() }}, evidence {{ dbt.type_string() }},"
    ~ " cluster_size {{ dbt.type_int() }}, _loaded_at {{ dbt.type_timestamp() }})"
]) }}

with

suppliers as (
    select * from {{ ref('stg_raw__suppliers') }}
),

matches as (
    select * from {{ source('resolution', 'supplier_matches') }}
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

final as (
    select
        normalised.supplier_id,
        coalesce(
            matches.supplier_key,
            case
                when normalised.tax_id_clean is not null
                    then {{ dbt.hash(dbt.concat(["'tax:'", 'normalised.tax_id_clean'])) }}
                else {{ dbt.hash(dbt.concat(["'name:'", "coalesce(normalised.normalized_name, '')"])) }}
            end
        ) as supplier_key,
        coalesce(
            matches.key_basis,
            case when normalised.tax_id_clean is not null then 'tax_id' else 'name' end
        ) as key_basis,
        coalesce(matches.method, 'unresolved') as resolution_method,
        matches.score as match_score,
        matches.matched_supplier_id,
        coalesce(
            matches.evidence,
            'not resolved: the record is not in resolution.supplier_matches (the resolution step has not run '
            || 'since it was loaded); key from its own tax id, else its normalised name'
        ) as match_evidence,
        normalised.supplier_name,
        normalised.normalized_name,
        normalised.supplier_state,
        normalised.is_small_business,
        normalised.is_diverse_business,
        normalised.registration_valid_from,
        normalised.registration_valid_to
    from normalised
    left join matches
        on normalised.supplier_id = matches.supplier_id
)

select * from final
