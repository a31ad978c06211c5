-- Every non-order touchpoint up to the as-of date (tickets, calls, e-mails, chats, marketing events),
-- attached to its customer through core.customer_identity, with the manager minutes it cost and
-- its complaint flags. Ticket handling minutes count only once the ticket is closed by the as-of
-- date (or still open): a ticket closed later was not known yet. E-mail minutes are configured
-- per direction (rfcm_email_minutes_outbound / _inbound).
with identity as (
    select source, source_record_id, customer_id
    from {{ source('core', 'customer_identity') }}
    where source in ('ticket', 'call', 'mail', 'event', 'chat')
),

tickets as (
    select
        'ticket' as source,
        ticket_id as interaction_id,
        'ticket' as channel,
        case when is_refund then 'refund' when is_complaint then 'complaint' else 'support' end as interaction_type,
        created_at as occurred_at,
        is_complaint or is_refund as is_complaint,
        is_refund,
        case
            when closed_at is null or cast(closed_at as date) <= {{ as_of_date() }} then coalesce(handling_minutes, 0)
            else 0
        end as manager_minutes,
        true as is_customer_initiated
    from {{ ref('stg_support_tickets') }}
    where ticket_id is not null
    qualify row_number() over (partition by ticket_id order by _source_file, _line) = 1
),

calls as (
    select
        'call',
        call_id,
        'call',
        coalesce(direction, 'unknown'),
        started_at,
        false,
        false,
        coalesce(duration_sec, 0) / 60.0,
        direction = 'inbound'
    from {{ ref('stg_phone_calls') }}
    where call_id is not null
    qualify row_number() over (partition by call_id order by _source_file, _line) = 1
),

-- e-mails and chat messages (a chat message costs what an e-mail of its direction costs; a chat
-- without a customer key never reaches identity)
written as (
    select 'mail' as channel, message_id, direction, sent_at, _source_file, _line
    from {{ ref('stg_mail_messages') }}
    union all
    select 'chat', message_id, direction, sent_at, _source_file, _line
    from {{ ref('stg_chat_messages') }}
    where unmatched_reason is null
),

mail as (
    select
        channel,
        message_id,
        channel,
        direction,
        sent_at,
        false,
        false,
        case when direction = 'outbound' then {{ cfg('rfcm_email_minutes_outbound') }}
             else {{ cfg('rfcm_email_minutes_inbound') }} end * 1.0,
        direction = 'inbound'
    from written
    where message_id is not null
    qualify row_number() over (partition by channel, message_id order by _source_file, _line) = 1
),

events as (
    select
        'event',
        event_id,
        'event',
        coalesce(event_type, 'unknown'),
        occurred_at,
        false,
        false,
        0.0,
        coalesce(event_type, '') <> 'unsubscribe'
    from {{ ref('stg_marketing_events') }}
    where event_id is not null
    qualify row_number() over (partition by event_id order by _source_file, _line) = 1
),

unioned as (
    select * from tickets
    union all select * from calls
    union all select * from mail
    union all select * from events
)

select
    i.customer_id,
    u.source,
    u.interaction_id,
    u.channel,
    u.interaction_type,
    u.occurred_at,
    cast(u.occurred_at as date) as occurred_date,
    u.is_complaint,
    u.is_refund,
    -- decimal minutes: sums over them are exact, whatever order the rows come in
    cast(round(u.manager_minutes, 2) as decimal(18, 2)) as manager_minutes,
    u.is_customer_initiated
from unioned as u
inner join identity as i on i.source = u.source and i.source_record_id = u.interaction_id
where u.occurred_at is not null
  and cast(u.occurred_at as date) <= {{ as_of_date() }}
