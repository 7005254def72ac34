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
        _source,
        _file,
        _row_number,
        _load_id,
        _loaded_at
    from source
),

versioned as (
    select
        *,
        row_number() over (
            partition by state_code
            order by
                _loaded_at desc nulls last,
                _load_id desc nulls last,
                _row_number desc nulls last
        ) as version_rank
    from cleaned
),

final as (
    select
        state_code,
        state_name,
        fiscal_year_start_month,
        small_business_goal_pct,
        _source,
        _file,
        _row_number,
        _load_id,
        _loaded_at
    from versioned
    where version_rank = 1
)

select * from final
