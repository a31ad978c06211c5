-- A manager's day, one row per (manager, item, customer) as of the run's date (docs/methods.md,
-- Alerts and the manager's day):
--   alert               today's alerts (ml.alerts: crossed into risk, within the daily budget)
--   alert_over_budget   crossed into risk today but beyond the budget (ml.alert_history)
--   chain_step          a step of the reactivation chain due today (mart_action_list, reactivation)
--   should_have_bought  the expected purchase did not come (mart_action_list, should_have_bought)
-- Manager, name, contact and value come from marts.customer_verdict, so every item of one
-- customer shows the same (manager NULL: the customer has none). rank_for_manager: items in that
-- order, largest value at risk first.
with verdict as (
    select * from {{ ref('customer_verdict') }}
),

alerts as (
    select * from {{ optional_source('ml', 'alerts', [('customer_id', 'varchar'), ('as_of', 'date'), ('reasons', 'varchar'), ('playbook', 'varchar'), ('severity', 'varchar')]) }}
),

decisions as (
    select * from {{ optional_source('ml', 'alert_history', [('customer_id', 'varchar'), ('as_of', 'date'), ('decision', 'varchar')]) }}
),

lists as (
    select * from {{ ref('mart_action_list') }}
    where list_name in ('reactivation', 'should_have_bought')
),

items as (
    select customer_id, 'alert' as item, 1 as item_priority, reasons as reason, playbook as action, severity,
           cast(null as integer) as step, cast(null as date) as due_date
    from alerts
    where as_of = {{ as_of_date() }}

    union all
    select d.customer_id, 'alert_over_budget', 2, v.reasons_text, v.recommended_action, null, null, null
    from decisions as d
    inner join verdict as v on v.customer_id = d.customer_id
    where d.as_of = {{ as_of_date() }} and d.decision = 'over_budget'

    union all
    select customer_id,
           case list_name when 'reactivation' then 'chain_step' else 'should_have_bought' end,
           case list_name when 'reactivation' then 3 else 4 end,
           reason, action_ru, null, step, due_date
    from lists
)

select
    {{ as_of_date() }} as as_of,
    v.manager,
    row_number() over (
        partition by v.manager
        order by i.item_priority, v.value_at_risk desc nulls last, i.customer_id
    ) as rank_for_manager,
    i.item,
    i.customer_id,
    v.full_name,
    i.reason,
    i.action,
    i.severity,
    i.step,
    i.due_date,
    v.contact_channel,
    v.contact,
    v.risk_stage,
    v.value_tier,
    v.expected_value,
    v.value_at_risk
from items as i
left join verdict as v on v.customer_id = i.customer_id
