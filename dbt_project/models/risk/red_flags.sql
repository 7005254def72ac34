{#- Every red-flag finding of docs/red_flags.md, published as kpi.red_flags. Grain: one row per
    (rule_id, entity_type, entity_id). Each rule is its own model (rf01_... to rf20_..., listed in macro
    red_flag_rule_models); flags are triage signals, never verdicts. -#}
with

final as (
    {{ union_red_flag_rules() }}
)

select * from final
