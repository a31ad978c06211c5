-- Who each customer is for the action lists: name, manager, the contact to use, lifecycle, and
-- the verdict's risk, value and reasons (marts.customer_verdict) - one row per customer of
-- core.customers, so every list shows the same name, manager, contact, value and reasons as the
-- customer's verdict.
-- Contact: a valid e-mail unless the customer unsubscribed, else a valid phone, else none (lists
-- are mostly letters; the verdict's own contact prefers the phone when a manager is to call).
with customers as (
    select customer_id, full_name, manager, email, phone_e164, has_valid_email, has_valid_phone
    from {{ source('core', 'customers') }}
),

lifecycle as (select * from {{ ref('mart_customer_lifecycle') }}),
verdict as (
    select customer_id, manager, risk_stage, value_tier, action_level, expected_value, value_at_risk, reasons_text
    from {{ ref('customer_verdict') }}
),
rfm as (select customer_id, monetary from {{ ref('mart_customer_rfm') }})

select
    c.customer_id,
    c.full_name,
    coalesce(v.manager, nullif(trim(c.manager), '')) as manager,
    case
        when c.has_valid_email and c.email is not null and not coalesce(l.has_unsubscribed, false) then 'email'
        when c.has_valid_phone and c.phone_e164 is not null then 'phone'
        else 'none'
    end as channel,
    case
        when c.has_valid_email and c.email is not null and not coalesce(l.has_unsubscribed, false) then c.email
        when c.has_valid_phone and c.phone_e164 is not null then c.phone_e164
    end as contact,
    l.lifecycle_state,
    v.risk_stage,
    v.value_tier,
    v.action_level,
    v.expected_value,
    v.value_at_risk,
    r.monetary,
    nullif(v.reasons_text, '') as reasons_text,
    l.last_purchase_date,
    l.expected_next_purchase,
    l.days_since_last_purchase,
    l.days_late,
    l.cycle_days
from customers as c
left join lifecycle as l on l.customer_id = c.customer_id
left join verdict as v on v.customer_id = c.customer_id
left join rfm as r on r.customer_id = c.customer_id
