-- Should have bought by now: the expected next purchase (last purchase + cycle) has passed, at
-- most action_period_days ago, no purchase since, the customer is not near death or dead (their
-- own lists), and no should_have_bought reminder was logged since the last purchase.
{%- set period = cfg('action_period_days') %}
with lifecycle as (select * from {{ ref('mart_customer_lifecycle') }}),

reminded as (
    select a.customer_id
    from {{ ref('mart_actions_log') }} as a
    inner join lifecycle as l on l.customer_id = a.customer_id
    where a.action = 'should_have_bought' and a.reject_reason is null and a.sent_date > l.last_purchase_date
    group by 1
),

rows as (
    select
        'should_have_bought' as list_name,
        l.customer_id,
        cast(null as integer) as step,
        'should_have_bought' as step_code,
        l.expected_next_purchase as due_date,
        'Ожидали покупку к ' || {{ format_datetime('l.expected_next_purchase', '%d.%m.%Y') }}
            || ' (обычный цикл ' || cast(round(l.cycle_days) as integer) || ' дн.), покупки нет '
            || l.days_since_last_purchase || ' дн.' as reason,
        'Напомнить: «Вы обычно заказываете в это время. Что-то не так?»' as action_ru
    from lifecycle as l
    where l.expected_next_purchase <= {{ as_of_date() }}
      and l.expected_next_purchase > {{ as_of_date() }} - {{ period }}
      and l.lifecycle_state not in ('near_death', 'dead', 'no_purchases')
      and l.customer_id not in (select customer_id from reminded)
)

{{ list_output('rows') }}
