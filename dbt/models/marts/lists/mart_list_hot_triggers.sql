-- Hot triggers, for every customer (buyer or not, whatever the lifecycle state), each with its
-- highest-priority trigger (seed trigger_playbook) and the others in the reason. A trigger
-- counts events of the last hot_window_days after the customer's last purchase (a purchase
-- answers them):
--   cart_abandon     an abandoned cart
--   product_views    at least trigger_product_views_min product views
--   opened_in_row    at least lists_opened_in_row e-mail opens (marketing events), or the last
--                    lists_opened_in_row e-mails of the actions log all opened or clicked
--   email_click      an e-mail click
--   complaint, support_contact, engaged_missed_cycle: a complaint ticket / another ticket / an
--                    open, click or visit - for hot-inactive customers (a missed cycle), as before
-- A trigger is answered, and leaves the list, once the actions log has its code (or a call)
-- sent on or after its latest event. Hot-inactive customers with recent contact but no trigger
-- get the generic touch (hot_touch) until it is logged.
{%- set hot = cfg('hot_window_days') %}
{%- set n_open = cfg('lists_opened_in_row') %}
with lifecycle as (select * from {{ ref('mart_customer_lifecycle') }}),

touch as (
    select t.*, l.lifecycle_state
    from {{ ref('int_customer_interactions') }} as t
    inner join lifecycle as l on l.customer_id = t.customer_id
    where t.occurred_date > {{ as_of_date() }} - {{ hot }}
      and t.occurred_date <= {{ as_of_date() }}
      and (l.last_purchase_date is null or t.occurred_date > l.last_purchase_date)
),

event_triggers as (
    select customer_id, 'cart_abandon' as trigger_code, max(occurred_date) as last_event_date, count(*) as events
    from touch where channel = 'event' and interaction_type = 'cart_abandon' group by 1
    union all
    select customer_id, 'product_views', max(occurred_date), count(*)
    from touch where channel = 'event' and interaction_type = 'product_view' group by 1
    having count(*) >= {{ cfg('trigger_product_views_min') }}
    union all
    select customer_id, 'opened_in_row', max(occurred_date), count(*)
    from touch where channel = 'event' and interaction_type = 'email_open' group by 1
    having count(*) >= {{ n_open }}
    union all
    select customer_id, 'email_click', max(occurred_date), count(*)
    from touch where channel = 'event' and interaction_type = 'email_click' group by 1
    union all
    select customer_id, 'complaint', max(occurred_date), count(*)
    from touch where lifecycle_state = 'hot_inactive' and channel = 'ticket' and is_complaint group by 1
    union all
    select customer_id, 'support_contact', max(occurred_date), count(*)
    from touch where lifecycle_state = 'hot_inactive' and channel = 'ticket' group by 1
    having not bool_or(is_complaint)
    union all
    select customer_id, 'engaged_missed_cycle', max(occurred_date), count(*)
    from touch
    where lifecycle_state = 'hot_inactive' and channel = 'event' and interaction_type in ('email_open', 'email_click', 'site_visit')
    group by 1
),

-- the last lists_opened_in_row e-mails of the actions log since the last purchase, all opened or clicked
logged_mail as (
    select a.customer_id, a.sent_date, a.response
    from {{ ref('mart_actions_log') }} as a
    inner join lifecycle as l on l.customer_id = a.customer_id
    where a.reject_reason is null
      and coalesce(a.channel, 'email') in ('email', 'e-mail', 'почта')
      and a.action_kind <> 'call'
      and (l.last_purchase_date is null or a.sent_date > l.last_purchase_date)
    qualify row_number() over (partition by a.customer_id order by a.sent_date desc, a.action_id desc) <= {{ n_open }}
),

log_triggers as (
    select customer_id, 'opened_in_row' as trigger_code, max(sent_date) as last_event_date, count(*) as events
    from logged_mail
    group by 1
    having count(*) = {{ n_open }}
       and bool_and(response in ('opened', 'clicked'))
       and max(sent_date) > {{ as_of_date() }} - {{ hot }}
),

triggers as (
    select customer_id, trigger_code, max(last_event_date) as last_event_date, max(events) as events
    from (select * from event_triggers union all select * from log_triggers)
    group by 1, 2
),

-- hot-inactive customers with recent contact (an inbound call, mail, ...) but no trigger
generic as (
    select l.customer_id, 'hot_touch' as trigger_code, l.last_engagement_date as last_event_date, 1 as events
    from lifecycle as l
    where l.lifecycle_state = 'hot_inactive'
      and l.customer_id not in (select customer_id from triggers)
),

answered as (
    select t.customer_id, t.trigger_code
    from (select * from triggers union all select * from generic) as t
    inner join {{ ref('mart_actions_log') }} as a
        on a.customer_id = t.customer_id
       and (a.action = t.trigger_code or a.action = 'call')
       and a.reject_reason is null
       and a.sent_date >= t.last_event_date
    group by 1, 2
),

open_triggers as (
    select t.*, p.priority, p.trigger_ru, p.action_ru
    from (select * from triggers union all select * from generic) as t
    left join {{ ref('trigger_playbook') }} as p on p.trigger_code = t.trigger_code
    where not exists (
        select 1 from answered as a where a.customer_id = t.customer_id and a.trigger_code = t.trigger_code
    )
),

-- one trigger per customer: the highest priority, ties by trigger code (a total order, so the
-- step code, reason and action always come from the same trigger)
rows as (
    {%- set key = '(coalesce(priority, 99), trigger_code)' %}
    select
        'hot_trigger' as list_name,
        customer_id,
        cast(null as integer) as step,
        {{ arg_min('trigger_code', key) }} as step_code,
        max(last_event_date) as due_date,
        'Горячий: ' || {{ arg_min("coalesce(trigger_ru, 'недавняя активность')", key) }}
            || ' (' || {{ format_datetime(arg_min('last_event_date', key), '%d.%m.%Y') }} || ')'
            || '; все триггеры: ' || {{ ordered_string_agg("coalesce(trigger_ru, 'недавняя активность')", ', ', 'coalesce(priority, 99), trigger_code') }} as reason,
        {{ arg_min("coalesce(action_ru, 'Одно точное касание в ближайшие 48 часов')", key) }} as action_ru
    from open_triggers
    group by customer_id
)

{{ list_output('rows') }}
