-- Who moved from which segment to which since the previous snapshot: the as-of date's snapshot
-- of mart_customer_history against the latest earlier snapshot (previous_as_of). Customers new
-- since then have NULL from_*; customers gone since then have NULL to_*. Without an earlier
-- snapshot previous_as_of is NULL and every from_* is NULL.
with history as (
    select * from {{ ref('mart_customer_history') }}
),

current_snapshot as (
    select * from history where as_of = {{ as_of_date() }}
),

previous_date as (
    select max(as_of) as previous_as_of from history where as_of < {{ as_of_date() }}
),

previous_snapshot as (
    select h.* from history as h inner join previous_date as d on h.as_of = d.previous_as_of
)

select
    {{ as_of_date() }} as as_of,
    (select previous_as_of from previous_date) as previous_as_of,
    coalesce(c.customer_id, p.customer_id) as customer_id,
    p.rfm_segment as from_rfm_segment,
    c.rfm_segment as to_rfm_segment,
    p.rfcm_segment as from_rfcm_segment,
    c.rfcm_segment as to_rfcm_segment,
    p.lifecycle_state as from_lifecycle_state,
    c.lifecycle_state as to_lifecycle_state,
    p.risk_stage as from_risk_stage,
    c.risk_stage as to_risk_stage,
    p.value_tier as from_value_tier,
    c.value_tier as to_value_tier,
    p.action_level as from_action_level,
    c.action_level as to_action_level,
    case
        when p.customer_id is null then 'new'
        when c.customer_id is null then 'gone'
        when p.rfm_segment is distinct from c.rfm_segment
          or p.lifecycle_state is distinct from c.lifecycle_state
          or p.risk_stage is distinct from c.risk_stage
          or p.value_tier is distinct from c.value_tier then 'moved'
        else 'same'
    end as movement,
    p.customer_id is not null and c.customer_id is not null
        and p.rfm_segment is distinct from c.rfm_segment as rfm_segment_changed,
    p.customer_id is not null and c.customer_id is not null
        and p.lifecycle_state is distinct from c.lifecycle_state as lifecycle_changed
from current_snapshot as c
full outer join previous_snapshot as p on p.customer_id = c.customer_id
