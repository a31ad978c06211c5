-- Sleepers with the step of the reactivation chain (seed reactivation_chain, chain
-- reactivation) due today: the step after the last one sent since the sleep began
-- (mart_actions_log), when its delay has passed; nothing sent yet: step 1. Also the dead who
-- answered the goodbye letter (a click, reply or purchase): their chain starts again from the answer.
with lifecycle as (select * from {{ ref('mart_customer_lifecycle') }}),

goodbye as (
    {{ goodbye_outcomes() }}
),

members as (
    select customer_id, last_purchase_date + 1 as episode_start, 'sleeping' as why
    from lifecycle
    where lifecycle_state = 'sleeping'
    union all
    select g.customer_id, g.positive_response_date as episode_start, 'goodbye_answered'
    from goodbye as g
    inner join lifecycle as l on l.customer_id = g.customer_id
    where g.goodbye_outcome = 'responded' and l.lifecycle_state = 'dead'
),

due as (
    {{ chain_next_step('members', 'reactivation') }}
),

rows as (
    select
        'reactivation' as list_name,
        d.customer_id,
        d.step,
        d.step_code,
        d.due_date,
        case m.why
            when 'goodbye_answered' then 'Ответил на прощальное письмо ' || {{ format_datetime('m.episode_start', '%d.%m.%Y') }}
            else 'Спит: покупки нет ' || l.days_since_last_purchase || ' дн. при цикле '
                || cast(round(l.cycle_days) as integer) || ' дн.'
        end
            || '; шаг ' || d.step || ' цепочки реактивации'
            || coalesce(' (предыдущий шаг ' || d.last_step || ' отправлен ' || {{ format_datetime('d.last_sent_date', '%d.%m.%Y') }} || ')',
                        ' (шагов ещё не отправляли)') as reason,
        d.message_ru as action_ru
    from due as d
    inner join members as m on m.customer_id = d.customer_id
    inner join lifecycle as l on l.customer_id = d.customer_id
    where d.due_date <= {{ as_of_date() }}
)

{{ list_output('rows') }}
