{#- holidays: trimmed strings (empty -> NULL), upper-case state codes, one row per
    primary key (state_code, holiday_date): the latest load wins. -#}
with

source as (
    select * from {{ source('raw', 'holidays') }}
),

cleaned as (
    select
        upper(nullif(trim(state_code), '')) as state_code,
        holiday_date,
        nullif(trim(holiday_name), '') as holiday_name,
        _source,
        _file,
        _row_number,
        _load_id,
        _loaded_at
    from source
),

final as (
    {{ latest_version('cleaned', ['state_code', 'holiday_date']) }}
)

select * from final
