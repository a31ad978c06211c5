-- Customers no list may contact: the goodbye letter was sent after their last purchase and
-- neither a click, a reply nor a purchase followed within lists_goodbye_wait_days
-- (mart_actions_log). A purchase after the letter takes the customer off this list.
with outcomes as (
    {{ goodbye_outcomes() }}
),

rows as (
    select
        'suppression' as list_name,
        customer_id,
        cast(null as integer) as step,
        'goodbye' as step_code,
        goodbye_sent_date + {{ cfg('lists_goodbye_wait_days') }} + 1 as due_date,
        'Прощальное письмо ' || {{ format_datetime('goodbye_sent_date', '%d.%m.%Y') }} || ' без клика за '
            || {{ cfg('lists_goodbye_wait_days') }} || ' дн.' as reason,
        'Исключить из рассылок и списков; вернуть, только если купит сам' as action_ru,
        goodbye_sent_date
    from outcomes
    where goodbye_outcome = 'no_click'
)

select l.*, r.goodbye_sent_date
from ({{ list_output('rows', suppress=false) }}) as l
inner join rows as r on r.customer_id = l.customer_id
