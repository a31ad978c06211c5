{{ config(
    materialized='incremental',
    on_schema_change='append_new_columns',
    **as_of_snapshot_config()
) }}
-- One snapshot per as-of date of every customer's verdict (marts.customer_verdict: lifecycle state,
-- risk stage, value tier, action level, expected value and value at risk, dominant reason, manager),
-- what the customer has bought, RFCM toxicity, the manager hours the customer cost and the action
-- lists the customer is in. Keyed by (as_of, customer_id); delete+insert on as_of: re-running a date
-- replaces that date's snapshot, other dates stay. The outcome KPIs (mart_kpi_daily) compare these
-- snapshots.
{%- set cost_window = cfg('kpi_cost_window_days') %}
with rfm as (
    select customer_id, frequency, monetary from {{ ref('mart_customer_rfm') }}
),

verdict as (
    select * from {{ ref('customer_verdict') }}
),

lifecycle as (
    select customer_id, last_purchase_date from {{ ref('mart_customer_lifecycle') }}
),

rfcm as (
    select customer_id, toxicity_level from {{ ref('mart_customer_rfcm') }}
),

lists as (
    select customer_id, {{ distinct_string_agg('list_name', ',') }} as action_lists
    from {{ ref('mart_action_list') }}
    group by customer_id
),

hours as (
    -- manager time of tickets (handling minutes) and calls (duration) in the cost window
    select customer_id, {{ divide('sum(manager_minutes)', '60.0') }} as manager_hours_window
    from {{ ref('int_customer_interactions') }}
    where channel in ('ticket', 'call')
      and occurred_date > {{ as_of_date() }} - {{ cost_window }}
    group by customer_id
)

select
    {{ as_of_date() }} as as_of,
    r.customer_id,
    v.manager,
    v.lifecycle_state,
    v.risk_stage,
    v.value_tier,
    v.action_level,
    v.dominant_reason,
    r.frequency > 0 as is_buyer,
    r.frequency > 0 and (v.risk_stage = 'churned' or v.lifecycle_state = 'dead') as is_churned,
    v.risk_stage is not null and v.risk_stage <> 'active' as is_flagged_at_risk,
    r.frequency,
    r.monetary,
    l.last_purchase_date,
    v.days_since_last_purchase,
    v.expected_value,
    v.value_source,
    v.value_at_risk,
    k.toxicity_level,
    k.toxicity_level = 'toxic' as is_toxic,
    coalesce(h.manager_hours_window, 0) as manager_hours_window,
    coalesce(li.action_lists, '') as action_lists
from rfm as r
left join verdict as v on v.customer_id = r.customer_id
left join lifecycle as l on l.customer_id = r.customer_id
left join rfcm as k on k.customer_id = r.customer_id
left join lists as li on li.customer_id = r.customer_id
left join hours as h on h.customer_id = r.customer_id
