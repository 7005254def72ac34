{#- solicitations: trimmed strings (empty -> NULL), upper-case state codes, one row per
    primary key (solicitation_id): the latest load wins. -#}
{#- A table, not a view: the de-duplication runs once per build, not once per reader and per test. -#}
{{ config(materialized='table') }}

with

source as (
    select * from {{ source('raw', 'solicitations') }}
),

cleaned as (
    select
        nullif(trim(solicitation_id), '') as solicitation_id,
        upper(nullif(trim(state_code), '')) as state_code,
        nullif(trim(agency_id), '') as agency_id,
        nullif(trim(title), '') as title,
        nullif(trim(method), '') as method,
        -- the commodity key: UNSPSC as is, another scheme's code prefixed by the scheme (macros/unspsc.sql)
        {{ commodity_key("nullif(trim(commodity_code), '')", "nullif(trim(commodity_scheme), '')") }} as commodity_code,
        issue_date,
        close_date,
        estimated_value,
        is_emergency,
        is_electronic_submission,
        nullif(trim(status), '') as status,
        upper(nullif(trim(currency), '')) as currency,
        _source,
        _file,
        _row_number,
        _load_id,
        _loaded_at
    from source
),

final as (
    {{ latest_version('cleaned', ['solicitation_id']) }}
)

select * from final
