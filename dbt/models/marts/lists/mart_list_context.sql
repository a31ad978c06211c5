-- Who each customer is for the action lists: name, manager, the contact to use, lifecycle, risk
-- and value, and the reasons behind the verdict - one row per customer of core.customers, so
-- every list shows the same name, manager, contact and value.
-- Contact: a valid e-mail unless the customer unsubscribed, else a valid phone, else none.
with customers as (
    select customer_id, full_name, manager, email, phone_e164, has_valid_email, has_valid_phone
    from {{ source('core', 'customers') }}
),

lifecycle as (select * from {{ ref('mart_customer_lifecycle') }}),
positions as (select customer_id, risk_stage, value_tier, action_level from {{ ref('mart_customer_risk_value') }}),
rfm as (select customer_id, monetary from {{ ref('mart_customer_rfm') }}),

health as (
    select * from {{ optional_source('ml', 'health_scores', [('customer_id', 'varchar'), ('top_reasons', 'varchar')]) }}
)

select
    c.customer_id,
    c.full_name,
    nullif(trim(c.manager), '') as manager,
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
    p.risk_stage,
    p.value_tier,
    p.action_level,
    cast(null as double) as expected_value,
    cast(null as double) as value_at_risk,
    r.monetary,
    nullif(h.top_reasons, '') as reasons_text,
    l.last_purchase_date,
    l.expected_next_purchase,
    l.days_since_last_purchase,
    l.days_late,
    l.cycle_days
from customers as c
left join lifecycle as l on l.customer_id = c.customer_id
left join positions as p on p.customer_id = c.customer_id
left join rfm as r on r.customer_id = c.customer_id
left join health as h on h.customer_id = c.customer_id
