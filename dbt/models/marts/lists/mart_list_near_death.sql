-- Near death, with the step of the near-death chain (seed reactivation_chain, chain near_death)
-- due today: the step after the last one sent since the last purchase (mart_actions_log), when
-- its delay has passed; nothing sent yet: step 1.
with lifecycle as (select * from {{ ref('mart_customer_lifecycle') }}),

members as (
    select customer_id, last_purchase_date + 1 as episode_start
    from lifecycle
    where lifecycle_state = 'near_death'
),

due as (
    {{ chain_next_step('members', 'near_death') }}
),

rows as (
    select
        'near_death' as list_name,
        d.customer_id,
        d.step,
        d.step_code,
        d.due_date,
        'На грани ухода: покупки нет ' || l.days_since_last_purchase || ' дн. при цикле '
            || cast(round(l.cycle_days) as integer) || ' дн.; шаг ' || d.step
            || coalesce(' (предыдущий шаг ' || d.last_step || ' отправлен ' || {{ format_datetime('d.last_sent_date', '%d.%m.%Y') }} || ')',
                        ' (шагов ещё не отправляли)') as reason,
        d.message_ru as action_ru
    from due as d
    inner join lifecycle as l on l.customer_id = d.customer_id
    where d.due_date <= {{ as_of_date() }}
)

{{ list_output('rows') }}
