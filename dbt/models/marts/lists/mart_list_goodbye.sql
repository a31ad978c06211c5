-- The dead who have not had the goodbye letter «Мы расстаёмся?» since their last purchase
-- (mart_actions_log). After it is sent: a click, reply or purchase within
-- lists_goodbye_wait_days moves the customer to the reactivation chain, none moves them to
-- mart_suppression_list; while the wait runs they are on no list.
with lifecycle as (select * from {{ ref('mart_customer_lifecycle') }}),

goodbye as (
    {{ goodbye_outcomes() }}
),

rows as (
    select
        'goodbye' as list_name,
        l.customer_id,
        cast(null as integer) as step,
        'goodbye' as step_code,
        {{ as_of_date() }} as due_date,
        'Нет покупок ' || l.days_since_last_purchase || ' дн., '
            || coalesce('нет активности с ' || {{ format_datetime('l.last_engagement_date', '%d.%m.%Y') }}, 'активности не было') as reason,
        'Письмо «Мы расстаёмся?»: нет клика за ' || {{ cfg('lists_goodbye_wait_days') }}
            || ' дн. — исключить из рассылок; кликнул — в цепочку реактивации' as action_ru
    from lifecycle as l
    where l.lifecycle_state = 'dead'
      and l.customer_id not in (select customer_id from goodbye)
)

{{ list_output('rows') }}
