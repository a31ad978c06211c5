-- Lists that act, one row per (list_name, customer_id) as of the as-of date:
--   should_have_bought  expected next purchase fell in the last action_period_days and no purchase
--                       was made in that period
--   reactivation        sleepers with their current step of the reactivation chain (seed
--                       reactivation_chain; day 1 = first day asleep; after the last step:
--                       "deep sleep", one touch a month)
--   goodbye             the dead: the "Мы расстаёмся?" letter
--   hot_trigger         hot-inactive customers with their highest-priority trigger (seed
--                       trigger_playbook)
-- Contact: a valid e-mail (unless the customer unsubscribed), else a valid phone (core.customers).
{%- set period = cfg('action_period_days') %}
with lifecycle as (
    select * from {{ ref('mart_customer_lifecycle') }}
),

customers as (
    select customer_id, full_name, email, phone_e164, has_valid_email, has_valid_phone
    from {{ source('core', 'customers') }}
),

positions as (
    select customer_id, action_level, value_tier from {{ ref('mart_customer_risk_value') }}
),

rfm as (
    select customer_id, monetary, rfm_segment from {{ ref('mart_customer_rfm') }}
),

chain as (
    select * from {{ ref('reactivation_chain') }}
),

playbook as (
    select * from {{ ref('trigger_playbook') }}
),

should_have_bought as (
    select
        customer_id,
        'should_have_bought' as list_name,
        cast(null as integer) as step,
        'Ожидали покупку к ' || strftime(expected_next_purchase, '%d.%m.%Y')
            || ' (обычный цикл ' || cast(round(cycle_days) as integer) || ' дн.), покупки нет '
            || days_since_last_purchase || ' дн.' as reason,
        'Напомнить: «Вы обычно заказываете в это время. Что-то не так?»' as action_ru
    from lifecycle
    where expected_next_purchase > {{ as_of_date() }} - {{ period }}
      and expected_next_purchase <= {{ as_of_date() }}
      and last_purchase_date <= {{ as_of_date() }} - {{ period }}
),

sleepers as (
    select
        l.customer_id,
        date_diff('day', l.sleeping_since, {{ as_of_date() }}) + 1 as chain_day
    from lifecycle as l
    where l.lifecycle_state = 'sleeping'
),

reactivation as (
    select
        s.customer_id,
        'reactivation' as list_name,
        c.step,
        'Спит: день ' || s.chain_day || ' цепочки реактивации, шаг ' || c.step as reason,
        c.message_ru as action_ru
    from sleepers as s
    inner join chain as c on c.day_offset <= s.chain_day
    qualify row_number() over (partition by s.customer_id order by c.day_offset desc, c.step desc) = 1
),

goodbye as (
    select
        customer_id,
        'goodbye' as list_name,
        cast(null as integer) as step,
        'Нет покупок ' || days_since_last_purchase || ' дн., '
            || coalesce('нет активности с ' || strftime(last_engagement_date, '%d.%m.%Y'), 'активности не было') as reason,
        'Письмо «Мы расстаёмся?»: удалим из базы через 7 дней, если не кликнет; кликнул — в спящие' as action_ru
    from lifecycle
    where lifecycle_state = 'dead'
),

hot as (
    select
        l.customer_id,
        'hot_trigger' as list_name,
        cast(null as integer) as step,
        'Горячий: ' || coalesce(p.trigger_ru, 'активность за последние дни') || '; все триггеры: '
            || coalesce(nullif(array_to_string(l.triggers, ', '), ''), 'недавняя активность') as reason,
        coalesce(p.action_ru, 'Одно точное касание в ближайшие 48 часов') as action_ru
    from lifecycle as l
    left join playbook as p on list_contains(l.triggers, p.trigger_code)
    where l.lifecycle_state = 'hot_inactive'
    qualify row_number() over (partition by l.customer_id order by p.priority nulls last) = 1
),

lists as (
    select * from should_have_bought
    union all select * from reactivation
    union all select * from goodbye
    union all select * from hot
)

select
    {{ as_of_date() }} as as_of,
    x.list_name,
    x.customer_id,
    c.full_name,
    x.step,
    x.reason,
    x.action_ru,
    case
        when c.has_valid_email and c.email is not null and not l.has_unsubscribed then 'email'
        when c.has_valid_phone and c.phone_e164 is not null then 'phone'
        else 'none'
    end as channel,
    case
        when c.has_valid_email and c.email is not null and not l.has_unsubscribed then c.email
        when c.has_valid_phone and c.phone_e164 is not null then c.phone_e164
    end as contact,
    l.lifecycle_state,
    l.expected_next_purchase,
    l.days_since_last_purchase,
    p.value_tier,
    p.action_level,
    r.monetary,
    r.rfm_segment
from lists as x
inner join lifecycle as l on l.customer_id = x.customer_id
left join customers as c on c.customer_id = x.customer_id
left join positions as p on p.customer_id = x.customer_id
left join rfm as r on r.customer_id = x.customer_id
