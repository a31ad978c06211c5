-- How each manager's customers are answered, as of the run's date, over the replies window
-- (config/health.yaml replies.window_days): per manager (the customer's manager in
-- marts.customer_verdict; NULL = customers without one) the inbound turns of mail and chats
-- (ml.reply_events), how many got an answer, the median first-reply time, the share left
-- unanswered for replies.unanswered_hours (pending turns, whose time has not run out, are left
-- out of the share), our outbound messages with their templated share and mean tone
-- (ml.customer_reply_quality), and the customers whose health carries a reply factor
-- (ml.health_factors: unanswered, templated_replies).
with verdict as (
    select customer_id, manager from {{ ref('customer_verdict') }}
),

events as (
    select * from {{ optional_source('ml', 'reply_events', [('customer_id', 'varchar'), ('as_of', 'date'),
        ('first_reply_minutes', 'double'), ('reply_at', 'timestamp'), ('is_unanswered', 'boolean'),
        ('is_pending', 'boolean'), ('in_window', 'boolean')]) }}
    where as_of = {{ as_of_date() }} and in_window
),

per_customer as (
    select * from {{ optional_source('ml', 'customer_reply_quality', [('customer_id', 'varchar'), ('as_of', 'date'),
        ('outbound_messages', 'integer'), ('templated_outbound', 'integer'), ('mean_outbound_tone', 'double')]) }}
    where as_of = {{ as_of_date() }}
),

factors as (
    select * from {{ optional_source('ml', 'health_factors', [('customer_id', 'varchar'), ('as_of', 'date'),
        ('factor', 'varchar')]) }}
    where as_of = {{ as_of_date() }} and factor in ('unanswered', 'templated_replies')
),

turns as (
    select
        v.manager,
        count(*) as inbound_turns,
        count(e.reply_at) as replied_turns,
        count(*) filter (where e.is_unanswered) as unanswered_turns,
        count(*) filter (where e.is_pending) as pending_turns,
        median(e.first_reply_minutes) as median_first_reply_minutes,
        count(distinct e.customer_id) as customers_writing
    from events as e
    inner join verdict as v on v.customer_id = e.customer_id
    group by v.manager
),

outbound as (
    select
        v.manager,
        sum(p.outbound_messages) as replies,
        sum(p.templated_outbound) as templated_replies,
        sum(p.mean_outbound_tone * p.outbound_messages) filter (where p.mean_outbound_tone is not null)
            / nullif(sum(p.outbound_messages) filter (where p.mean_outbound_tone is not null), 0) as mean_outbound_tone
    from per_customer as p
    inner join verdict as v on v.customer_id = p.customer_id
    group by v.manager
),

affected as (
    select
        v.manager,
        count(distinct f.customer_id) as customers_affected,
        count(distinct f.customer_id) filter (where f.factor = 'unanswered') as customers_unanswered,
        count(distinct f.customer_id) filter (where f.factor = 'templated_replies') as customers_templated
    from factors as f
    inner join verdict as v on v.customer_id = f.customer_id
    group by v.manager
),

managers as (
    select manager from turns
    union
    select manager from outbound
    union
    select manager from affected
)

select
    {{ as_of_date() }} as as_of,
    m.manager,
    coalesce(t.inbound_turns, 0) as inbound_turns,
    coalesce(t.replied_turns, 0) as replied_turns,
    coalesce(t.unanswered_turns, 0) as unanswered_turns,
    coalesce(t.pending_turns, 0) as pending_turns,
    round(t.median_first_reply_minutes, 1) as median_first_reply_minutes,
    round(t.unanswered_turns / nullif(t.inbound_turns - t.pending_turns, 0), 4) as unanswered_share,
    coalesce(o.replies, 0) as replies,
    coalesce(o.templated_replies, 0) as templated_replies,
    round(o.templated_replies / nullif(o.replies, 0), 4) as templated_share,
    round(o.mean_outbound_tone, 3) as mean_outbound_tone,
    coalesce(t.customers_writing, 0) as customers_writing,
    coalesce(a.customers_affected, 0) as customers_affected,
    coalesce(a.customers_unanswered, 0) as customers_unanswered,
    coalesce(a.customers_templated, 0) as customers_templated
from managers as m
left join turns as t on t.manager is not distinct from m.manager
left join outbound as o on o.manager is not distinct from m.manager
left join affected as a on a.manager is not distinct from m.manager
