{{ config(
    materialized='incremental',
    on_schema_change='append_new_columns',
    **as_of_snapshot_config()
) }}
-- One snapshot per as-of date of the risk x value matrix cells (delete+insert on as_of: re-runs
-- of the same date replace its snapshot).
select
    as_of,
    risk_stage,
    value_tier,
    action_level,
    action_color,
    customers,
    revenue,
    customer_share,
    revenue_share
from {{ ref('mart_risk_value_matrix') }}
