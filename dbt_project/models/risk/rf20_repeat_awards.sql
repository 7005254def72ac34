{#- RF20 repeat awards (docs/red_flags.md): the active awards of solicitations that have an agency and a
    category (UNSPSC family of the solicitation's commodity, known codes only), ordered by (award_date,
    award_id) per agency and category; a supplier (award supplier_id) is flagged when some run of n
    consecutive awards holds >= k of its wins. A sequence shorter than n is one run (all its awards). k and
    n are the solicitation state's. amount = the supplier's award value in the first such run; detected_at =
    its latest award date in that run. -#}
with

awards as (
    select * from {{ ref('stg_raw__awards') }}
),

solicitations as (
    select * from {{ ref('stg_raw__solicitations') }}
),

commodity_codes as (
    select * from {{ ref('stg_raw__commodity_codes') }}
),

rule_parameters as (
    {{ red_flag_parameters('RF20', ['k', 'n'], 'solicitations') }}
),

buyer_awards as (
    select
        awards.award_id,
        awards.supplier_id,
        awards.award_date,
        awards.award_value,
        solicitations.state_code,
        solicitations.agency_id,
        commodity_codes.category_code
    from awards
    inner join solicitations
        on awards.solicitation_id = solicitations.solicitation_id
    inner join commodity_codes
        on solicitations.commodity_code = commodity_codes.commodity_code
    where
        awards.status = 'active'
        and solicitations.agency_id is not null
),

sequenced as (
    select
        buyer_awards.*,
        cast(rule_parameters.k as int) as min_wins,
        cast(rule_parameters.n as int) as run_length,
        row_number() over (
            partition by buyer_awards.agency_id, buyer_awards.category_code
            order by buyer_awards.award_date asc nulls last, buyer_awards.award_id asc nulls last
        ) as award_position,
        count(*) over (
            partition by buyer_awards.agency_id, buyer_awards.category_code
        ) as sequence_length
    from buyer_awards
    inner join rule_parameters
        on buyer_awards.state_code = rule_parameters.state_code
    where buyer_awards.category_code is not null
),

runs as (
    select
        run_start.state_code,
        run_start.agency_id,
        run_start.category_code,
        run_start.award_position as start_position,
        run_start.run_length,
        member.supplier_id,
        count(*) as wins,
        sum(member.award_value) as won_value,
        max(member.award_date) as last_award_date
    from sequenced as run_start
    inner join sequenced as member
        on
            run_start.agency_id = member.agency_id
            and run_start.category_code = member.category_code
            and run_start.award_position <= member.award_position
            and run_start.award_position + run_start.run_length - 1 >= member.award_position
    where
        run_start.award_position + run_start.run_length - 1 <= run_start.sequence_length
        or (run_start.award_position = 1 and run_start.sequence_length < run_start.run_length)
    group by
        run_start.state_code,
        run_start.agency_id,
        run_start.category_code,
        run_start.award_position,
        run_start.run_length,
        run_start.min_wins,
        member.supplier_id
    having count(*) >= run_start.min_wins
),

first_runs as (
    select
        runs.*,
        row_number() over (
            partition by runs.agency_id, runs.category_code, runs.supplier_id
            order by runs.start_position asc nulls last
        ) as run_rank
    from runs
),

final as (
    select
        {{ red_flag_columns(
            'RF20', 'repeat_awards', 'buyer_category_supplier',
            entity_id=dbt.concat(['agency_id', "':'", 'category_code', "':'", 'supplier_id']),
            state_code='state_code',
            agency_id='agency_id',
            supplier_id='supplier_id',
            amount='won_value',
            detected_at='last_award_date',
            evidence=dbt.concat([
                "'won '", "cast(wins as " ~ dbt.type_string() ~ ")", "' of '",
                "cast(run_length as " ~ dbt.type_string() ~ ")",
                "' consecutive awards of the agency in category '", 'category_code',
                "' (from award number '", "cast(start_position as " ~ dbt.type_string() ~ ")",
                "' in date order), value '", red_flag_money_text('won_value')
            ])
        ) }}
    from first_runs
    where run_rank = 1
)

select * from final
