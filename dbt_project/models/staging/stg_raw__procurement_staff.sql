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

versioned as (
    select
        *,
        row_number() over (
            partition by staff_id
            order by
                _loaded_at desc nulls last,
                _load_id desc nulls last,
                _row_number desc nulls last
        ) as version_rank
    from cleaned
),

final as (
    select
        staff_id,
        state_code,
        agency_id,
        job_title,
        certification,
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
    from versioned
    where version_rank = 1
)

select * from final
