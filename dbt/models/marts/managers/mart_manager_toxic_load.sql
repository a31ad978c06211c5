-- What toxic customers cost each manager, as of the run's date: per manager (the customer's
-- manager in marts.customer_verdict; NULL = customers without one), the customers whose RFCM
-- toxicity level is toxic (mart_customer_rfcm: complaint and resource scores both at or below
-- rfcm_toxic_score_max) and the manager minutes they took over the RFCM rate window
-- (rfcm_rate_window_days: calls, ticket handling, e-mails), against all the manager's customers.
with verdict as (
    select customer_id, manager from {{ ref('customer_verdict') }}
),

rfcm as (
    select k.customer_id, k.toxicity_level, k.manager_minutes_window, k.complaints_window, r.monetary
    from {{ ref('mart_customer_rfcm') }} as k
    left join {{ ref('mart_customer_rfm') }} as r on r.customer_id = k.customer_id
),

joined as (
    select
        v.manager,
        r.customer_id,
        r.toxicity_level = 'toxic' as is_toxic,
        coalesce(r.manager_minutes_window, 0) as minutes,
        coalesce(r.complaints_window, 0) as complaints,
        coalesce(r.monetary, 0) as monetary
    from rfcm as r
    inner join verdict as v on v.customer_id = r.customer_id
)

select
    {{ as_of_date() }} as as_of,
    manager,
    {{ cfg('rfcm_rate_window_days') }} as rate_window_days,
    count(*) as customers,
    count(*) filter (where is_toxic) as toxic_customers,
    coalesce(sum(minutes) filter (where is_toxic), 0) as toxic_manager_minutes,
    round({{ divide('coalesce(sum(minutes) filter (where is_toxic), 0)', '60.0') }}, 1) as toxic_manager_hours,
    sum(minutes) as all_manager_minutes,
    case when sum(minutes) > 0
         then round({{ divide('coalesce(sum(minutes) filter (where is_toxic), 0)', 'sum(minutes)') }}, 4) end as toxic_share_of_minutes,
    coalesce(sum(complaints) filter (where is_toxic), 0) as toxic_complaints,
    coalesce(sum(monetary) filter (where is_toxic), 0) as toxic_revenue
from joined
group by manager
