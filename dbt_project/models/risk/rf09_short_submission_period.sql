{#- RF09 short submission period (docs/red_flags.md): a competitive solicitation, not cancelled, whose
    close_date - issue_date is below min_days days (no close date: not flagged). -#}
with

solicitations as (
    select * from {{ ref('stg_raw__solicitations') }}
),

rule_parameters as (
    {{ red_flag_parameters('RF09', ['min_days'], 'solicitations') }}
),

periods as (
    select
        solicitations.solicitation_id,
        solicitations.state_code,
        solicitations.agency_id,
        solicitations.estimated_value,
        solicitations.issue_date,
        solicitations.close_date,
        {{ dbt.datediff('solicitations.issue_date', 'solicitations.close_date', 'day') }} as open_days,
        rule_parameters.min_days
    from solicitations
    inner join rule_parameters
        on solicitations.state_code = rule_parameters.state_code
    where
        solicitations.method in ('open', 'selective')
        and solicitations.status != 'cancelled'
        and solicitations.close_date is not null
),

final as (
    select
        {{ red_flag_columns(
            'RF09', 'short_submission_period', 'solicitation',
            entity_id='solicitation_id',
            state_code='state_code',
            agency_id='agency_id',
            supplier_id='null',
            amount='estimated_value',
            detected_at='issue_date',
            evidence=dbt.concat([
                "'open for '", "cast(open_days as " ~ dbt.type_string() ~ ")", "' days ('",
                red_flag_date_text('issue_date'), "' to '", red_flag_date_text('close_date'),
                "'), minimum '", "cast(cast(min_days as int) as " ~ dbt.type_string() ~ ")"
            ])
        ) }}
    from periods
    where open_days < min_days
)

select * from final
