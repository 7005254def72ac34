with

agencies as (
    select * from {{ ref('stg_raw__agencies') }}
),

final as (
    select
        agency_id,
        state_code,
        agency_name,
        agency_type
    from agencies
)

select * from final
