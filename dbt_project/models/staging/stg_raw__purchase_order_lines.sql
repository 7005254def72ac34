{#- purchase_order_lines that are spend: every line of base_raw__purchase_order_lines but the cancelled ones
    (the line's status or its purchase order's is cancelled). Every model of spend, savings, compliance and
    risk reads lines from here, so a cancelled line is left out of all of them; marts.fct_purchase_order_lines_cancelled shows them apart. -#}
with

lines as (
    select * from {{ ref('base_raw__purchase_order_lines') }}
),

final as (
    select * from lines
    where not is_cancelled
)

select * from final
