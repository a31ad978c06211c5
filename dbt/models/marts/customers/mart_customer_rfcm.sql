-- RFCM per customer: RFM plus Complaints (C) and Resources (R, manager time).
--   complaints_per_month      = (complaint / refund tickets + returned orders when
--                               rfcm_returns_are_complaints) in the rate window / months
--   manager_minutes_per_month = (call minutes + ticket handling minutes + e-mails x configured
--                               minutes per direction) in the rate window / months
--   months = max(min(tenure, rfcm_rate_window_days), 1 month) / 30.4375; tenure from the first
--   sign of the customer (first_seen_at, first order or first touchpoint) up to the as-of date.
-- Both rates are shrunk towards the base rate before scoring (empirical Bayes, a gamma-Poisson prior
-- worth rfcm_shrinkage_prior_months months at the pooled rate of all customers):
--   shrunk = least(observed, (events + base_rate x m0) / (months + m0)),
--   base_rate = sum(events) / sum(months) over all customers,
-- so one complaint in a 3-month tenure is not read as a rate of 0.33 a month; a rate below the base
-- is never raised (no complaints stays "no complaints", C score 5). "toxic" needs a buyer
-- (never-buyers are at most "demanding") with at least rfcm_toxic_min_tenure_days of tenure.
-- c_score / r_score are on the REVERSE scale: 5 = few complaints / little manager time, 1 = many.
-- rfcm_code follows the RFCM convention: "55511 = ideal (high R, F, M, low C, R)", "11155 = toxic",
-- so its last two digits are the complaint / resource LEVEL = 6 - score (1 = few). The alarm and
-- the toxic rule use the scores ("C and R below 2" = many complaints and much manager time).
{%- set window = cfg('rfcm_rate_window_days') %}
{%- set cr_mode = cfg('rfcm_cr_score_mode') %}
{%- set m0 = cfg('rfcm_shrinkage_prior_months') %}
with rfm as (
    select * from {{ ref('mart_customer_rfm') }}
),

customers as (
    select customer_id, cast(first_seen_at as date) as first_seen_date
    from {{ source('core', 'customers') }}
),

orders as (
    select * from {{ ref('int_customer_orders') }}
),

touch as (
    select * from {{ ref('int_customer_interactions') }}
),

first_seen as (
    select customer_id, min(d) as first_seen_date
    from (
        select customer_id, first_seen_date as d from customers where first_seen_date <= {{ as_of_date() }}
        union all select customer_id, min(order_date) from orders group by customer_id
        union all select customer_id, min(occurred_date) from touch group by customer_id
    )
    group by customer_id
),

touch_agg as (
    select
        customer_id,
        count(*) filter (where is_complaint) as complaint_tickets,
        count(*) filter (where is_refund) as refund_tickets,
        count(*) filter (where is_complaint and occurred_date > {{ as_of_date() }} - {{ window }}) as complaint_tickets_window,
        sum(manager_minutes) filter (where channel = 'call' and occurred_date > {{ as_of_date() }} - {{ window }}) as call_minutes_window,
        sum(manager_minutes) filter (where channel = 'ticket' and occurred_date > {{ as_of_date() }} - {{ window }}) as ticket_minutes_window,
        sum(manager_minutes) filter (where channel = 'mail' and occurred_date > {{ as_of_date() }} - {{ window }}) as mail_minutes_window
    from touch
    group by customer_id
),

returns_agg as (
    select customer_id, count(*) as returns_window
    from orders
    where status_class = 'returned' and order_date > {{ as_of_date() }} - {{ window }}
    group by customer_id
),

rates as (
    select
        r.customer_id,
        f.first_seen_date,
        {{ diff_days('f.first_seen_date', as_of_date()) }} as tenure_days,
        greatest(least(coalesce({{ diff_days('f.first_seen_date', as_of_date()) }}, 0), {{ window }}), 30.4375) as rate_days,
        {{ divide('greatest(least(coalesce(' ~ diff_days('f.first_seen_date', as_of_date()) ~ ', 0), ' ~ window ~ '), 30.4375)', '30.4375') }} as rate_months,
        coalesce(t.complaint_tickets, 0) as complaint_tickets,
        coalesce(t.refund_tickets, 0) as refund_tickets,
        coalesce(t.complaint_tickets_window, 0)
            + {% if cfg('rfcm_returns_are_complaints') %}coalesce(ra.returns_window, 0){% else %}0{% endif %} as complaints_window,
        coalesce(t.call_minutes_window, 0) as call_minutes_window,
        coalesce(t.ticket_minutes_window, 0) as ticket_minutes_window,
        coalesce(t.mail_minutes_window, 0) as mail_minutes_window
    from rfm as r
    left join first_seen as f on f.customer_id = r.customer_id
    left join touch_agg as t on t.customer_id = r.customer_id
    left join returns_agg as ra on ra.customer_id = r.customer_id
),

per_month as (
    select
        *,
        call_minutes_window + ticket_minutes_window + mail_minutes_window as manager_minutes_window,
        complaints_window / rate_months as complaints_per_month,
        (call_minutes_window + ticket_minutes_window + mail_minutes_window) / rate_months as manager_minutes_per_month
    from rates
),

base as (
    select
        -- exact sums (integers, decimal days and minutes) divided once: the base does not depend
        -- on the order the rows were added in (issue 16.3: exact reruns)
        coalesce({{ divide('sum(complaints_window) * 30.4375', 'nullif(sum(rate_days), 0)') }}, 0) as base_complaints_per_month,
        coalesce({{ divide('sum(manager_minutes_window) * 30.4375', 'nullif(sum(rate_days), 0)') }}, 0) as base_manager_minutes_per_month
    from per_month
),

shrunk as (
    select
        p.*,
        b.base_complaints_per_month,
        b.base_manager_minutes_per_month,
        least(p.complaints_per_month,
              (p.complaints_window + b.base_complaints_per_month * {{ m0 }}) / (p.rate_months + {{ m0 }})) as complaints_per_month_shrunk,
        least(p.manager_minutes_per_month,
              (p.manager_minutes_window + b.base_manager_minutes_per_month * {{ m0 }}) / (p.rate_months + {{ m0 }})) as manager_minutes_per_month_shrunk
    from per_month as p
    cross join base as b
),

scored as (
    select
        *,
        {{ score_5('complaints_per_month_shrunk', cr_mode, cfg('rfcm_complaint_thresholds'), higher_is_better=false) }} as c_score,
        {{ score_5('manager_minutes_per_month_shrunk', cr_mode, cfg('rfcm_resource_thresholds'), higher_is_better=false) }} as resource_score
    from shrunk
),

classified as (
    select
        s.*,
        r.r_score,
        r.f_score,
        r.m_score,
        r.rfm_code,
        r.rfm_segment,
        case
            when r.r_score is null then 'none'
            when {{ divide('(r.r_score + r.f_score + r.m_score)', '3.0') }} >= {{ cfg('rfcm_value_high_min') }} then 'high'
            when {{ divide('(r.r_score + r.f_score + r.m_score)', '3.0') }} <= {{ cfg('rfcm_value_low_max') }} then 'low'
            else 'mid'
        end as value_level,
        case
            when s.c_score <= {{ cfg('rfcm_toxic_score_max') }} and s.resource_score <= {{ cfg('rfcm_toxic_score_max') }}
                 and r.r_score is not null and s.tenure_days >= {{ cfg('rfcm_toxic_min_tenure_days') }} then 'toxic'
            when s.c_score <= {{ cfg('rfcm_toxic_score_max') }} or s.resource_score <= {{ cfg('rfcm_toxic_score_max') }} then 'demanding'
            else 'clean'
        end as toxicity_level
    from scored as s
    inner join rfm as r on r.customer_id = s.customer_id
)

select
    c.customer_id,
    {{ as_of_date() }} as as_of,
    c.first_seen_date,
    c.tenure_days,
    c.rate_months,
    c.complaint_tickets,
    c.refund_tickets,
    c.complaints_window,
    c.complaints_per_month,
    c.base_complaints_per_month,
    c.complaints_per_month_shrunk,
    c.call_minutes_window,
    c.ticket_minutes_window,
    c.mail_minutes_window,
    c.manager_minutes_window,
    c.manager_minutes_per_month,
    c.base_manager_minutes_per_month,
    c.manager_minutes_per_month_shrunk,
    c.manager_minutes_per_month / 60.0 as manager_hours_per_month,
    c.r_score,
    c.f_score,
    c.m_score,
    c.c_score,
    c.resource_score,
    6 - c.c_score as complaint_level,
    6 - c.resource_score as resource_level,
    c.rfm_code,
    case when c.rfm_code is not null
         then c.rfm_code || cast(6 - c.c_score as {{ type_text() }}) || cast(6 - c.resource_score as {{ type_text() }})
    end as rfcm_code,
    c.c_score < {{ cfg('rfcm_alarm_score_below') }} and c.resource_score < {{ cfg('rfcm_alarm_score_below') }} as is_low_c_and_r,
    c.value_level,
    c.toxicity_level,
    m.rfcm_segment,
    m.rfcm_strategy,
    m.rfcm_strategy_ru
from classified as c
left join {{ ref('rfcm_strategy_map') }} as m
    on m.value_level = c.value_level and m.toxicity_level = c.toxicity_level
