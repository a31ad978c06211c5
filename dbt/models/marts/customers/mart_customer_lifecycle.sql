-- Purchase cycle and lifecycle state per customer.
-- Cycle: the median gap between the customer's purchase days, shrunk toward a prior when the
-- customer has few gaps:  cycle = (n_gaps * median_gap + k * prior) / (n_gaps + k), k =
-- cycle_shrinkage_k. Prior = the configured cycle of the customer's main category
-- (category_cycle_days, where the business knows it; names matched case-insensitively), else
-- the data-derived cycle of that category (median gap between purchases of that category by the
-- same customer, when at least cycle_min_category_gaps such gaps exist), else the business-wide
-- median gap, else cycle_default_days. One-time buyers get the prior.
-- expected_next_purchase = last purchase + cycle.
-- States (days = days since the last completed purchase, c = cycle):
--   no_purchases  no completed purchase up to the as-of date
--   active        days <= c * (1 + cycle_tolerance)
--   dead          ALL of: beyond the horizon (days > dead_after_days or > dead_after_cycles * c);
--                 silent on every channel (no order of any status, inbound mail / call, ticket or
--                 marketing engagement) for more than dead_silence_days; and no guard holds:
--                   recent_purchase  days <= dead_min_days (bought within the last year)
--                   own_cycles       days <= dead_own_cycles * the customer's own median gap
--                   frequent_buyer   purchase_days >= dead_frequent_purchases and
--                                    days <= dead_after_days (only the absolute horizon)
--   hot_inactive  late, within the horizon, and engaged (open, click, visit, ...) or triggered
--                 (abandoned cart, 3+ product views, support contact, complaint) in hot_window_days
--   near_death    two cycles missed (days > cycle_near_death_cycles * c), or beyond the horizon
--                 but still engaged or kept from dead by a guard
--   sleeping      late by more than the tolerance, less than two cycles
-- cycles_missed = floor(days / c) for late customers (0 when active); days_overdue = days past
-- expected_next_purchase (0 when not yet due).
{%- set tol = cfg('cycle_tolerance') %}
{%- set k = cfg('cycle_shrinkage_k') %}
{%- set hot = cfg('hot_window_days') %}
{%- set category_cycles = cfg('category_cycle_days') %}
with customers as (
    select customer_id from {{ source('core', 'customers') }}
),

purchase_days as (
    select * from {{ ref('int_customer_purchase_dates') }}
),

all_orders as (
    select * from {{ ref('int_customer_orders') }}
),

orders as (
    select * from all_orders where status_class = 'completed'
),

-- the last order of any status (a cancelled or returned order is still the customer talking)
order_touch as (
    select customer_id, max(order_date) as last_order_date from all_orders group by customer_id
),

-- cycles the business knows per category (config category_cycle_days), overriding the data
configured_cycle as (
    {%- if category_cycles %}
    select lower(trim(category)) as category_key, cast(cycle_days as double) as configured_cycle_days
    from (values
        {%- for name, days in category_cycles.items() %}
        ('{{ name | replace("'", "''") }}', {{ days }}){% if not loop.last %},{% endif %}
        {%- endfor %}
    ) as t(category, cycle_days)
    {%- else %}
    select cast(null as {{ type_text() }}) as category_key, cast(null as double) as configured_cycle_days
    where 1 = 0
    {%- endif %}
),

touch as (
    select * from {{ ref('int_customer_interactions') }}
),

customer_gaps as (
    select
        customer_id,
        max(purchase_date) as last_purchase_date,
        count(*) as purchase_days,
        count(gap_days) as n_gaps,
        median(gap_days) as median_gap_days
    from purchase_days
    group by customer_id
),

main_category as (
    select customer_id, category
    from (
        select customer_id, category, count(*) as n, max(order_date) as last_date
        from orders
        group by customer_id, category
    )
    qualify row_number() over (partition by customer_id order by n desc, last_date desc, category) = 1
),

category_days as (
    select distinct customer_id, category, order_date from orders
),

category_gaps as (
    select
        category,
        {{ diff_days('lag(order_date) over (partition by customer_id, category order by order_date)', 'order_date') }} as gap_days
    from category_days
),

category_cycle as (
    select category, median(gap_days) as category_cycle_days, count(*) as category_gaps
    from category_gaps
    where gap_days is not null
    group by category
    having count(*) >= {{ cfg('cycle_min_category_gaps') }}
),

business_cycle as (
    select median(gap_days) as business_cycle_days from purchase_days where gap_days is not null
),

cycles as (
    select
        g.customer_id,
        g.last_purchase_date,
        g.purchase_days,
        g.n_gaps,
        g.median_gap_days,
        mc.category as main_category,
        cc.category_cycle_days,
        kc.configured_cycle_days,
        b.business_cycle_days,
        coalesce(kc.configured_cycle_days, cc.category_cycle_days, b.business_cycle_days, {{ cfg('cycle_default_days') }}) as prior_cycle_days,
        case
            when kc.configured_cycle_days is not null then 'category_config'
            when cc.category_cycle_days is not null then 'category'
            when b.business_cycle_days is not null then 'business'
            else 'default'
        end as prior_source
    from customer_gaps as g
    left join main_category as mc on mc.customer_id = g.customer_id
    left join category_cycle as cc on cc.category = mc.category
    left join configured_cycle as kc on kc.category_key = lower(trim(mc.category))
    cross join business_cycle as b
),

cycle_final as (
    select
        *,
        greatest(
            {{ cfg('cycle_min_days') }},
            case
                when n_gaps = 0 then prior_cycle_days
                else (n_gaps * median_gap_days + {{ k }} * prior_cycle_days) / (n_gaps + {{ k }})
            end
        ) * 1.0 as cycle_days,
        case when n_gaps = 0 then prior_source else 'customer' end as cycle_source
    from cycles
),

engagement as (
    select
        customer_id,
        max(occurred_date) filter (where is_customer_initiated) as last_engagement_date,
        max(occurred_date) filter (where channel = 'event' and interaction_type in ('email_open', 'email_click', 'site_visit')) as last_open_click_visit_date,
        count(*) filter (where channel = 'event' and interaction_type in ('email_open', 'email_click', 'site_visit')
                          and occurred_date > {{ as_of_date() }} - {{ hot }}) as engagement_events_recent,
        count(*) filter (where channel = 'event' and interaction_type = 'cart_abandon'
                          and occurred_date > {{ as_of_date() }} - {{ hot }}) as cart_abandons_recent,
        count(*) filter (where channel = 'event' and interaction_type = 'product_view'
                          and occurred_date > {{ as_of_date() }} - {{ hot }}) as product_views_recent,
        count(*) filter (where channel = 'ticket' and occurred_date > {{ as_of_date() }} - {{ hot }}) as support_contacts_recent,
        count(*) filter (where channel = 'ticket' and is_complaint and occurred_date > {{ as_of_date() }} - {{ hot }}) as complaints_recent,
        bool_or(channel = 'event' and interaction_type = 'unsubscribe') as has_unsubscribed
    from touch
    group by customer_id
),

joined as (
    select
        c.customer_id,
        f.last_purchase_date,
        coalesce(f.purchase_days, 0) as purchase_days,
        coalesce(f.n_gaps, 0) as n_gaps,
        f.median_gap_days,
        f.main_category,
        f.category_cycle_days,
        f.configured_cycle_days,
        f.business_cycle_days,
        f.prior_cycle_days,
        f.cycle_days,
        f.cycle_source,
        f.last_purchase_date + cast(round(f.cycle_days) as integer) as expected_next_purchase,
        {{ diff_days('f.last_purchase_date', as_of_date()) }} as days_since_last_purchase,
        e.last_engagement_date,
        o.last_order_date,
        greatest(e.last_engagement_date, o.last_order_date) as last_touch_date,
        e.last_open_click_visit_date,
        coalesce(e.engagement_events_recent, 0) as engagement_events_recent,
        coalesce(e.cart_abandons_recent, 0) as cart_abandons_recent,
        coalesce(e.product_views_recent, 0) as product_views_recent,
        coalesce(e.support_contacts_recent, 0) as support_contacts_recent,
        coalesce(e.complaints_recent, 0) as complaints_recent,
        coalesce(e.has_unsubscribed, false) as has_unsubscribed
    from customers as c
    left join cycle_final as f on f.customer_id = c.customer_id
    left join engagement as e on e.customer_id = c.customer_id
    left join order_touch as o on o.customer_id = c.customer_id
),

flags as (
    select
        *,
        {{ non_null_list([
            "case when cart_abandons_recent > 0 then 'cart_abandon' end",
            "case when complaints_recent > 0 then 'complaint' end",
            "case when product_views_recent >= " ~ cfg('trigger_product_views_min') ~ " then 'product_views' end",
            "case when support_contacts_recent > 0 and complaints_recent = 0 then 'support_contact' end",
            "case when engagement_events_recent > 0 then 'engaged_missed_cycle' end"
        ]) }} as triggers,
        days_since_last_purchase > {{ cfg('dead_after_days') }}
            or days_since_last_purchase > {{ cfg('dead_after_cycles') }} * cycle_days as is_beyond_horizon,
        last_touch_date is null
            or {{ diff_days('last_touch_date', as_of_date()) }} > {{ cfg('dead_silence_days') }} as is_silent,
        last_engagement_date is not null
            and {{ diff_days('last_engagement_date', as_of_date()) }} < {{ hot }} as is_recently_engaged
    from joined
),

-- what keeps a customer who is beyond the horizon and silent from being called dead
guarded as (
    select
        *,
        case
            when not (is_beyond_horizon and is_silent) then null
            when days_since_last_purchase <= {{ cfg('dead_min_days') }} then 'recent_purchase'
            when median_gap_days is not null
                 and days_since_last_purchase <= {{ cfg('dead_own_cycles') }} * median_gap_days then 'own_cycles'
            when purchase_days >= {{ cfg('dead_frequent_purchases') }}
                 and days_since_last_purchase <= {{ cfg('dead_after_days') }} then 'frequent_buyer'
        end as dead_guard
    from flags
),

states as (
    select
        *,
        case
            when last_purchase_date is null then 'no_purchases'
            when days_since_last_purchase <= cycle_days * (1 + {{ tol }}) then 'active'
            when is_beyond_horizon and is_silent and dead_guard is null then 'dead'
            when not is_beyond_horizon and (is_recently_engaged or {{ list_size('triggers') }} > 0) then 'hot_inactive'
            when is_beyond_horizon or days_since_last_purchase > {{ cfg('cycle_near_death_cycles') }} * cycle_days then 'near_death'
            else 'sleeping'
        end as lifecycle_state
    from guarded
)

select
    s.customer_id,
    {{ as_of_date() }} as as_of,
    s.last_purchase_date,
    s.purchase_days,
    s.n_gaps,
    s.median_gap_days,
    s.main_category,
    s.category_cycle_days,
    s.configured_cycle_days,
    s.business_cycle_days,
    s.prior_cycle_days,
    s.cycle_days,
    s.cycle_source,
    s.expected_next_purchase,
    s.days_since_last_purchase,
    {{ diff_days('s.expected_next_purchase', as_of_date()) }} as days_late,
    s.days_since_last_purchase / s.cycle_days as cycle_ratio,
    case
        when s.last_purchase_date is null then null
        when s.lifecycle_state = 'active' then 0
        else cast(floor(s.days_since_last_purchase / s.cycle_days) as integer)
    end as cycles_missed,
    case when s.last_purchase_date is not null
         then greatest(0, {{ diff_days('s.expected_next_purchase', as_of_date()) }})
    end as days_overdue,
    s.last_engagement_date,
    s.last_order_date,
    s.last_touch_date,
    {{ diff_days('s.last_touch_date', as_of_date()) }} as days_silent,
    s.last_open_click_visit_date,
    s.engagement_events_recent,
    s.cart_abandons_recent,
    s.product_views_recent,
    s.support_contacts_recent,
    s.complaints_recent,
    s.has_unsubscribed,
    case when s.last_purchase_date is null then {{ empty_list() }} else s.triggers end as triggers,
    s.is_beyond_horizon,
    s.is_silent,
    s.dead_guard,
    s.is_recently_engaged,
    s.lifecycle_state,
    case when s.lifecycle_state = 'sleeping'
         then s.last_purchase_date + cast(floor(s.cycle_days * (1 + {{ tol }})) as integer) + 1
    end as sleeping_since,
    m.risk_stage,
    m.lifecycle_state_ru,
    m.lifecycle_action_ru
from states as s
left join {{ ref('lifecycle_state_map') }} as m on m.lifecycle_state = s.lifecycle_state
