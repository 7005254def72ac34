{#- states: trimmed strings (empty -> NULL), upper-case state codes, one row per
    primary key (state_code): the latest load wins. -#}
with

source as (
    select * from {{ source('raw', 'states') }}
),

cleaned as (
    select
        upper(nullif(trim(state_code), '')) as state_code,
        nullif(trim(state_name), '') as state_name,
        fiscal_year_start_month,
        small_business_goal_pct,
        coalesce(upper(nullif(trim(currency), '')), 'USD') as currency,
        _source,
        _file,
        _row_number,
        _load_id,
        _loaded_at
    from source
),

final as (
    {{ latest_version('cleaned', ['state_code']) }}
)

select * from final
