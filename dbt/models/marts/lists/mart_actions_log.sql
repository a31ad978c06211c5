-- The actions log (staging.stg_actions_log) as of the as-of date, each action attached to its
-- customer and checked. The customer is found by customer_id (a live id, else a retired one of
-- core.customer_aliases, else a CRM contact id), else contact_id, else the e-mail, else the phone
-- (an e-mail or phone shared by several customers finds none). Actions sent after the as-of date
-- are left out; a response dated after it is not known yet (response none). An action id landed
-- twice is one action (the first landed row wins). reject_reason says why a row is not used:
-- missing_sent_at, unknown_customer, unknown_action (not a chain step code of
-- reactivation_chain, a trigger code of trigger_playbook, goodbye, should_have_bought, call or
-- toxic_review), unknown_response.
with log as (
    select * from {{ ref('stg_actions_log') }}
    where action_id is not null
    qualify row_number() over (partition by action_id order by _source_file, _line) = 1
),

customers as (
    select customer_id, lower(email) as email, phone_e164 from {{ source('core', 'customers') }}
),

aliases as (
    select * from {{ optional_source('core', 'customer_aliases', [('alias_id', 'varchar'), ('customer_id', 'varchar')]) }}
),

crm as (
    select {{ contact_id_key('source_record_id') }} as contact_key, min(customer_id) as customer_id
    from {{ source('core', 'customer_identity') }}
    where source = 'crm_contact'
    group by 1
    having count(distinct customer_id) = 1
),

by_email as (
    select email, min(customer_id) as customer_id from customers where email is not null
    group by 1 having count(*) = 1
),

by_phone as (
    select phone_e164, min(customer_id) as customer_id from customers where phone_e164 is not null
    group by 1 having count(*) = 1
),

chain as (select chain, step, step_code from {{ ref('reactivation_chain') }}),
playbook as (select trigger_code from {{ ref('trigger_playbook') }}),

resolved as (
    select
        l.*,
        coalesce(c.customer_id, al.customer_id, k1.customer_id, k2.customer_id, e.customer_id, p.customer_id) as resolved_customer_id,
        case
            when c.customer_id is not null then 'customer_id'
            when al.customer_id is not null then 'retired_customer_id'
            when k1.customer_id is not null or k2.customer_id is not null then 'contact_id'
            when e.customer_id is not null then 'email'
            when p.customer_id is not null then 'phone'
        end as matched_by
    from log as l
    left join customers as c on c.customer_id = l.customer_id
    left join aliases as al on al.alias_id = l.customer_id
    left join crm as k1 on k1.contact_key = {{ contact_id_key('l.customer_id') }}
    left join crm as k2 on k2.contact_key = l.contact_id
    left join by_email as e on e.email = l.email
    left join by_phone as p on p.phone_e164 = l.phone_e164
    where l.sent_at is null or cast(l.sent_at as date) <= {{ as_of_date() }}
),

known as (
    select
        r.*,
        ch.chain,
        ch.step,
        case
            when ch.step_code is not null then 'chain_step'
            when pb.trigger_code is not null then 'trigger'
            when r.action in ('goodbye', 'should_have_bought', 'call', 'toxic_review', 'hot_touch') then r.action
        end as action_kind,
        r.responded_at is not null and cast(r.responded_at as date) > {{ as_of_date() }} as response_in_future
    from resolved as r
    left join chain as ch on ch.step_code = r.action
    left join playbook as pb on pb.trigger_code = r.action
)

select
    action_id,
    resolved_customer_id as customer_id,
    matched_by,
    action,
    action_kind,
    chain,
    step,
    sent_at,
    cast(sent_at as date) as sent_date,
    channel,
    case when response_in_future then 'none' else response end as response,
    case when not response_in_future then responded_at end as responded_at,
    case when not response_in_future and response <> 'none' then cast(coalesce(responded_at, sent_at) as date) end as responded_date,
    not response_in_future and response in ('clicked', 'replied', 'bought') as is_positive_response,
    case
        when sent_at is null then 'missing_sent_at'
        when resolved_customer_id is null then 'unknown_customer'
        when action_kind is null then 'unknown_action'
        when response not in ('none', 'opened', 'clicked', 'replied', 'bought') then 'unknown_response'
    end as reject_reason,
    _source_file,
    _line
from known
