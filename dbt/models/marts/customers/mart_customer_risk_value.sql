-- Risk x value position per customer. Risk stage comes from the lifecycle state
-- (seed lifecycle_state_map: active -> active, hot_inactive / sleeping -> at_risk, near_death ->
-- potential_churn, dead -> churned). Value tier: the customer's cumulative share by monetary among
-- buyers (cume_dist, ties share a tier) cut at value_tier_cuts -> bronze / silver / gold /
-- platinum. Action level 1 (green) .. 5 (red) from the seed action_level_matrix. Customers without
-- purchases have no risk stage, tier or action level.
{%- set cuts = cfg('value_tier_cuts') %}
with lifecycle as (
    select customer_id, lifecycle_state, risk_stage from {{ ref('mart_customer_lifecycle') }}
),

rfm as (
    select customer_id, frequency, monetary from {{ ref('mart_customer_rfm') }}
),

tiers as (
    select
        customer_id,
        monetary,
        cume_dist() over (order by monetary) as monetary_cume_share
    from rfm
    where frequency > 0
),

tiered as (
    select
        *,
        case
            when monetary_cume_share <= {{ cuts[0] }} then 'bronze'
            when monetary_cume_share <= {{ cuts[1] }} then 'silver'
            when monetary_cume_share <= {{ cuts[2] }} then 'gold'
            else 'platinum'
        end as value_tier
    from tiers
)

select
    l.customer_id,
    {{ as_of_date() }} as as_of,
    l.lifecycle_state,
    l.risk_stage,
    t.value_tier,
    t.monetary,
    t.monetary_cume_share,
    m.action_level,
    a.action_color,
    a.action_level_ru,
    a.action_level_action_ru
from lifecycle as l
left join tiered as t on t.customer_id = l.customer_id
left join {{ ref('action_level_matrix') }} as m on m.risk_stage = l.risk_stage and m.value_tier = t.value_tier
left join {{ ref('action_levels') }} as a on a.action_level = m.action_level
