{{ config(
    materialized='incremental',
    on_schema_change='append_new_columns',
    **as_of_snapshot_config()
) }}
-- One snapshot per as-of date of every customer's segments, lifecycle and matrix cell. Keyed by
-- (as_of, customer_id); a re-run for the same as-of date deletes that date's snapshot and inserts
-- it again (delete+insert on as_of), so re-runs are idempotent and other dates are untouched.
select
    r.as_of,
    r.customer_id,
    r.recency_days,
    r.frequency,
    r.monetary,
    r.rfm_code,
    r.rfm_segment,
    c.c_score,
    c.resource_score,
    c.rfcm_code,
    c.rfcm_segment,
    c.rfcm_strategy,
    l.lifecycle_state,
    l.cycle_days,
    l.expected_next_purchase,
    p.risk_stage,
    p.value_tier,
    p.action_level
from {{ ref('mart_customer_rfm') }} as r
left join {{ ref('mart_customer_rfcm') }} as c on c.customer_id = r.customer_id
left join {{ ref('mart_customer_lifecycle') }} as l on l.customer_id = r.customer_id
left join {{ ref('mart_customer_risk_value') }} as p on p.customer_id = r.customer_id
