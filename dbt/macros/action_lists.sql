{#- Shared pieces of the action lists (models/marts/lists, docs/methods.md "Action lists"). -#}

{#- The published columns of every list: the list's own rows (list_name, customer_id, step,
    step_code, due_date, reason, action_ru) with the customer's name, manager, contact and value
    from mart_list_context. suppress: drop the customers of mart_suppression_list. -#}
{% macro list_output(rows, suppress=true) -%}
select
    {{ as_of_date() }} as as_of,
    x.list_name,
    x.customer_id,
    ctx.full_name,
    ctx.manager,
    ctx.channel,
    ctx.contact,
    ctx.lifecycle_state,
    ctx.risk_stage,
    ctx.value_tier,
    ctx.action_level,
    ctx.expected_value,
    ctx.value_at_risk,
    ctx.monetary,
    ctx.expected_next_purchase,
    ctx.days_since_last_purchase,
    cast(x.step as integer) as step,
    cast(x.step_code as {{ type_text() }}) as step_code,
    cast(x.due_date as date) as due_date,
    x.reason,
    x.action_ru,
    ctx.reasons_text as verdict_reasons
from {{ rows }} as x
inner join {{ ref('mart_list_context') }} as ctx on ctx.customer_id = x.customer_id
{%- if suppress %}
where not exists (select 1 from {{ ref('mart_suppression_list') }} as s where s.customer_id = x.customer_id)
{%- endif %}
{%- endmacro %}


{#- The outcome of each customer's last goodbye letter sent after their last purchase:
    responded (a click, reply or purchase within lists_goodbye_wait_days), no_click (the wait is
    over without one), waiting (still within the wait). A purchase after the letter ends it. -#}
{% macro goodbye_outcomes() -%}
    {%- set wait = cfg('lists_goodbye_wait_days') %}
    select
        g.customer_id,
        g.action_id as goodbye_action_id,
        g.sent_date as goodbye_sent_date,
        g.positive_response_date,
        case
            when g.positive_response_date is not null then 'responded'
            when g.sent_date + {{ wait }} < {{ as_of_date() }} then 'no_click'
            else 'waiting'
        end as goodbye_outcome
    from (
        select
            a.customer_id,
            a.action_id,
            a.sent_date,
            case when a.is_positive_response and a.responded_date <= a.sent_date + {{ wait }} then a.responded_date end
                as positive_response_date
        from {{ ref('mart_actions_log') }} as a
        inner join {{ ref('mart_customer_lifecycle') }} as l on l.customer_id = a.customer_id
        where a.action = 'goodbye'
          and a.reject_reason is null
          and (l.last_purchase_date is null or a.sent_date > l.last_purchase_date)
        qualify row_number() over (partition by a.customer_id order by a.sent_date desc, a.action_id desc) = 1
    ) as g
{%- endmacro %}


{#- The step of chain `chain_name` (seed reactivation_chain) due for each customer of the CTE
    `members` (customer_id, episode_start): the step after the last one sent on or after
    episode_start (mart_actions_log), due day_offset(next) - day_offset(last) days after the last
    was sent; the last step repeats every repeat_every_days; nothing sent yet: step 1, due today.
    Returns every member with its next step and due_date (filter due_date <= as-of). -#}
{% macro chain_next_step(members, chain_name) -%}
    select
        m.customer_id,
        nxt.step,
        nxt.step_code,
        nxt.channel as step_channel,
        nxt.message_ru,
        ls.step as last_step,
        ls.sent_date as last_sent_date,
        case
            when ls.step is null then {{ as_of_date() }}
            when ls.step >= mx.max_step then ls.sent_date + cast(cur.repeat_every_days as integer)
            else ls.sent_date + cast(nxt.day_offset - cur.day_offset as integer)
        end as due_date
    from {{ members }} as m
    cross join (select max(step) as max_step from {{ ref('reactivation_chain') }} where chain = '{{ chain_name }}') as mx
    left join (
        select a.customer_id, a.step, a.sent_date
        from {{ ref('mart_actions_log') }} as a
        inner join {{ members }} as mm on mm.customer_id = a.customer_id
        where a.chain = '{{ chain_name }}'
          and a.reject_reason is null
          and a.sent_date >= mm.episode_start
        qualify row_number() over (partition by a.customer_id order by a.sent_date desc, a.step desc) = 1
    ) as ls on ls.customer_id = m.customer_id
    left join {{ ref('reactivation_chain') }} as cur
        on cur.chain = '{{ chain_name }}' and cur.step = ls.step
    left join {{ ref('reactivation_chain') }} as nxt
        on nxt.chain = '{{ chain_name }}'
       and nxt.step = case when ls.step is null then 1 when ls.step >= mx.max_step then mx.max_step else ls.step + 1 end
{%- endmacro %}
