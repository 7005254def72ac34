{#- procurement_staff: trimmed strings (empty -> NULL), upper-case state codes, one row per
    primary key (staff_id): the latest load wins. -#}
with

source as (
    select * from {{ source('raw', 'procurement_staff') }}
),

cleaned as (
    select
        nullif(trim(staff_id), '') as staff_id,
        upper(nullif(trim(state_code), '')) as state_code,
        nullif(trim(agency_id), '') as agency_id,
        nullif(trim(job_title), '') as job_title,
        nullif(trim(certification), '') as certification,
        fte,
        annual_cost,
        vacancy_date,
        hire_date,
        separation_date,
        training_current_until,
        _source,
        _file,
        _row_number,
        _load_id,
        _loaded_at
    from source
),

final as (
    {{ latest_version('cleaned', ['staff_id']) }}
)

select * from final
