-- The public customer table: one row per customer of core.customers as of the
-- run's date. RFM / RFCM / lifecycle / risk x value come from the marts; the ML columns come from
-- the ml.* tables written by Python assets (LEFT JOIN; when a table does not exist yet its columns
-- are NULL). Customers without a completed purchase: NULL RFM, rfm_segment 'No purchases',
-- lifecycle_state 'no_purchases', no risk stage / tier / action level.
-- The decision columns (risk stage, value tier, action level, the one recommended action, the
-- reasons, contact, manager, expected value) are the customer's verdict (customer_verdict).
with customers as (
    select * from {{ source('core', 'customers') }}
),

rfm as (select * from {{ ref('mart_customer_rfm') }}),
rfcm as (select * from {{ ref('mart_customer_rfcm') }}),
lifecycle as (select * from {{ ref('mart_customer_lifecycle') }}),
verdict as (select * from {{ ref('customer_verdict') }}),

churn as (
    select * from {{ optional_source('ml', 'churn_scores', [('customer_id', 'varchar'), ('churn_probability', 'double'), ('churn_model', 'varchar')]) }}
),

toxicity as (
    select * from {{ optional_source('ml', 'toxicity_scores', [('customer_id', 'varchar'), ('toxicity_probability', 'double'), ('toxicity_model', 'varchar')]) }}
),

clusters as (
    select * from {{ optional_source('ml', 'customer_clusters', [('customer_id', 'varchar'), ('cluster_id', 'integer'), ('cluster_name', 'varchar')]) }}
),

health as (
    select * from {{ optional_source('ml', 'health_scores', [('customer_id', 'varchar'), ('health_score', 'double'), ('health_band', 'varchar'), ('top_reasons', 'varchar'), ('health_delta', 'double')]) }}
)

select
    c.customer_id,
    {{ as_of_date() }} as as_of,
    c.full_name,
    c.phone_e164,
    c.email,
    v.manager,
    v.contact_channel,
    v.contact,
    r.recency_days,
    r.frequency,
    r.monetary,
    r.r_score,
    r.f_score,
    r.m_score,
    r.rfm_code,
    r.rfm_segment,
    k.c_score,
    k.resource_score,
    k.rfcm_code,
    k.rfcm_segment,
    k.rfcm_strategy,
    l.cycle_days as purchase_cycle_days,
    l.expected_next_purchase,
    l.lifecycle_state,
    v.risk_stage,
    v.risk_score,
    v.value_tier,
    v.expected_value,
    v.value_source,
    v.value_at_risk,
    v.action_level,
    v.action_color,
    h.health_score,
    h.health_band,
    ch.churn_probability,
    ch.churn_model,
    t.toxicity_probability,
    t.toxicity_model,
    cl.cluster_id,
    cl.cluster_name,
    v.reasons_text as top_reasons,
    v.reasons,
    v.reason_codes,
    h.health_delta,
    v.recommended_action
from customers as c
left join rfm as r on r.customer_id = c.customer_id
left join rfcm as k on k.customer_id = c.customer_id
left join lifecycle as l on l.customer_id = c.customer_id
left join verdict as v on v.customer_id = c.customer_id
left join churn as ch on ch.customer_id = c.customer_id
left join toxicity as t on t.customer_id = c.customer_id
left join clusters as cl on cl.customer_id = c.customer_id
left join health as h on h.customer_id = c.customer_id
