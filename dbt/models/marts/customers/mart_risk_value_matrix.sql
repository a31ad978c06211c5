-- The risk x value matrix: every cell of the seed action_level_matrix (4 risk stages x
-- 4 value tiers), also empty ones, with its action level and the customers and net revenue in it.
-- Reconciles: sum(customers) = customers with a completed purchase up to the as-of date.
with cells as (
    select * from {{ ref('action_level_matrix') }}
),

positions as (
    select * from {{ ref('mart_customer_risk_value') }} where risk_stage is not null
),

agg as (
    select risk_stage, value_tier, count(*) as customers, sum(monetary) as revenue
    from positions
    group by risk_stage, value_tier
),

totals as (
    select count(*) as all_customers, sum(monetary) as all_revenue from positions
)

select
    {{ as_of_date() }} as as_of,
    c.risk_stage,
    c.risk_stage_order,
    c.value_tier,
    c.value_tier_order,
    c.action_level,
    a.action_color,
    a.action_level_ru,
    coalesce(g.customers, 0) as customers,
    coalesce(g.revenue, 0) as revenue,
    case when t.all_customers > 0 then {{ divide('coalesce(g.customers, 0) * 1.0', 't.all_customers') }} else 0 end as customer_share,
    case when t.all_revenue <> 0 then {{ divide('coalesce(g.revenue, 0) * 1.0', 't.all_revenue') }} else 0 end as revenue_share
from cells as c
left join agg as g on g.risk_stage = c.risk_stage and g.value_tier = c.value_tier
left join {{ ref('action_levels') }} as a on a.action_level = c.action_level
cross join totals as t
