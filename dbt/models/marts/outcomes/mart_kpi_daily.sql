{{ config(
    materialized='incremental',
    on_schema_change='append_new_columns',
    **as_of_snapshot_config()
) }}
-- Outcome KPIs, one row per as-of date, from the snapshots of mart_verdict_history (only snapshots
-- up to the as-of date are read, so re-running an older date gives the row it had). Rules and
-- thresholds: docs/methods.md, Outcome KPIs.
--   period               since the previous snapshot (latest earlier as_of)
--   churn rate           customers alive at the base snapshot (buyers, not churned) who are churned
--                        now / customers alive at the base snapshot; base = the previous snapshot,
--                        or for a window of N days the latest snapshot at least N days old
--   revived              churned at the previous snapshot, an alive buyer now
--   churned revenue      net revenue to date and expected value (at the previous snapshot) of the
--                        period's churners
--   early-warning recall the period's churners flagged at risk (risk stage past active) in the latest
--                        snapshot kpi_warning_lead_days[0]..[1] days earlier / the period's churners
--                        present in that snapshot
--   toxic cost           manager hours (tickets + calls, last kpi_cost_window_days) of the customers
--                        toxic now x kpi_manager_hour_cost_rub
--   reactivation         customers sleeping / near death at the previous snapshot who bought since
-- A KPI that needs a snapshot which does not exist is NULL and its *_note says why.
{%- set short_days = cfg('kpi_churn_window_short_days') %}
{%- set long_days = cfg('kpi_churn_window_long_days') %}
{%- set lead = cfg('kpi_warning_lead_days') %}
{%- set today = as_of_date() %}
with history as (
    select * from {{ ref('mart_verdict_history') }} where as_of <= {{ today }}
),

current_snapshot as (
    select * from history where as_of = {{ today }}
),

earlier_dates as (
    select distinct as_of from history where as_of < {{ today }}
),

base_dates as (
    select
        (select max(as_of) from earlier_dates) as previous_as_of,
        (select max(as_of) from earlier_dates where as_of <= {{ today }} - {{ short_days }}) as short_base_as_of,
        (select max(as_of) from earlier_dates where as_of <= {{ today }} - {{ long_days }}) as long_base_as_of,
        (select max(as_of) from earlier_dates
          where as_of <= {{ today }} - {{ lead[0] }} and as_of >= {{ today }} - {{ lead[1] }}) as warning_as_of
),

-- customers alive (buyers, not churned) at each base snapshot, with whether they are churned now
alive_then as (
    select
        b.base,
        h.customer_id,
        h.expected_value,
        h.lifecycle_state,
        coalesce(c.is_churned, false) as churned_now,
        c.monetary as monetary_now,
        c.last_purchase_date as last_purchase_now
    from history as h
    inner join (
        select 'previous' as base, previous_as_of as base_as_of from base_dates
        union all select 'short', short_base_as_of from base_dates
        union all select 'long', long_base_as_of from base_dates
    ) as b on h.as_of = b.base_as_of
    left join current_snapshot as c on c.customer_id = h.customer_id
    where h.is_buyer and not h.is_churned
),

window_churn as (
    select
        base,
        count(*) as alive,
        count(*) filter (where churned_now) as churned,
        sum(monetary_now) filter (where churned_now) as churned_revenue,
        sum(expected_value) filter (where churned_now) as churned_expected_value
    from alive_then
    group by base
),

period_churners as (
    select customer_id from alive_then where base = 'previous' and churned_now
),

revived as (
    -- churned at the previous snapshot, an alive buyer now (bought again)
    select count(*) as revived_in_period
    from history as h
    inner join base_dates as d on h.as_of = d.previous_as_of
    inner join current_snapshot as c on c.customer_id = h.customer_id
    where h.is_churned and c.is_buyer and not c.is_churned
),

warning as (
    select
        count(w.customer_id) as churners_in_warning_snapshot,
        count(*) filter (where w.is_flagged_at_risk) as churners_flagged_early
    from period_churners as p
    inner join history as w on w.customer_id = p.customer_id
    inner join base_dates as d on w.as_of = d.warning_as_of
),

chain as (
    -- sleeping and near-death customers of the previous snapshot, and whether they bought since
    select
        h.lifecycle_state,
        count(*) as customers,
        count(*) filter (where c.last_purchase_date > h.as_of) as reactivated
    from history as h
    inner join base_dates as d on h.as_of = d.previous_as_of
    left join current_snapshot as c on c.customer_id = h.customer_id
    where h.lifecycle_state in ('sleeping', 'near_death')
    group by h.lifecycle_state
),

stock as (
    select
        count(*) as customers,
        count(*) filter (where is_buyer) as buyers,
        count(*) filter (where is_buyer and not is_churned) as alive_customers,
        count(*) filter (where is_churned) as churned_customers,
        count(*) filter (where is_flagged_at_risk and not is_churned) as at_risk_customers,
        count(*) filter (where is_toxic) as toxic_customers,
        coalesce(sum(manager_hours_window) filter (where is_toxic), 0) as toxic_manager_hours
    from current_snapshot
),

kpis as (
    select
        d.*,
        s.*,
        p.alive as alive_at_previous,
        p.churned as churned_in_period,
        p.churned_revenue,
        p.churned_expected_value,
        sw.alive as alive_at_short_base,
        sw.churned as churned_since_short_base,
        lw.alive as alive_at_long_base,
        lw.churned as churned_since_long_base,
        rv.revived_in_period,
        w.churners_in_warning_snapshot,
        w.churners_flagged_early,
        (select sum(customers) from chain) as chain_customers_at_previous,
        (select sum(reactivated) from chain) as chain_reactivated,
        (select sum(customers) from chain where lifecycle_state = 'sleeping') as sleeping_at_previous,
        (select sum(reactivated) from chain where lifecycle_state = 'sleeping') as sleeping_reactivated,
        (select sum(customers) from chain where lifecycle_state = 'near_death') as near_death_at_previous,
        (select sum(reactivated) from chain where lifecycle_state = 'near_death') as near_death_reactivated
    from base_dates as d
    cross join stock as s
    left join window_churn as p on p.base = 'previous'
    left join window_churn as sw on sw.base = 'short'
    left join window_churn as lw on lw.base = 'long'
    cross join warning as w
    cross join revived as rv
)

select
    {{ today }} as as_of,
    customers,
    buyers,
    alive_customers,
    churned_customers,
    at_risk_customers,
    previous_as_of,
    {{ diff_days('previous_as_of', today) }} as period_days,
    case when previous_as_of is null then 'first snapshot: no earlier snapshot to compare with' end as period_note,
    case when previous_as_of is not null then coalesce(alive_at_previous, 0) end as alive_at_previous,
    case when previous_as_of is not null then coalesce(churned_in_period, 0) end as churned_in_period,
    case when alive_at_previous > 0 then round(churned_in_period / alive_at_previous, 4) end as churn_rate,
    case when previous_as_of is not null then coalesce(churned_revenue, 0) end as churned_revenue,
    case when churned_in_period = 0 then 0 else churned_expected_value end as churned_expected_value,
    case when previous_as_of is not null then revived_in_period end as revived_in_period,
    {%- for w, days in [('short', short_days), ('long', long_days)] %}
    {{ days }} as churn_{{ w }}_window_days,
    {{ w }}_base_as_of,
    case when {{ w }}_base_as_of is not null then coalesce(alive_at_{{ w }}_base, 0) end as alive_at_{{ w }}_base,
    case when {{ w }}_base_as_of is not null then coalesce(churned_since_{{ w }}_base, 0) end as churned_since_{{ w }}_base,
    case when alive_at_{{ w }}_base > 0 then round(churned_since_{{ w }}_base / alive_at_{{ w }}_base, 4) end as churn_rate_{{ w }},
    case when {{ w }}_base_as_of is null then 'no snapshot {{ days }} or more days before this date' end as churn_{{ w }}_note,
    {%- endfor %}
    warning_as_of,
    case when warning_as_of is not null then churners_in_warning_snapshot end as churners_in_warning_snapshot,
    case when warning_as_of is not null then churners_flagged_early end as churners_flagged_early,
    case when warning_as_of is not null and churners_in_warning_snapshot > 0
         then round(churners_flagged_early / churners_in_warning_snapshot, 4) end as early_warning_recall,
    case
        when previous_as_of is null then 'first snapshot: no earlier snapshot to compare with'
        when warning_as_of is null then 'no snapshot {{ lead[0] }}-{{ lead[1] }} days before this date'
        when churners_in_warning_snapshot = 0 then 'no churner of the period in the snapshot {{ lead[0] }}-{{ lead[1] }} days before'
    end as early_warning_note,
    toxic_customers,
    {{ cfg('kpi_cost_window_days') }} as toxic_cost_window_days,
    round(toxic_manager_hours, 2) as toxic_manager_hours,
    cast({{ cfg('kpi_manager_hour_cost_rub') }} as double) as manager_hour_cost_rub,
    round(round(toxic_manager_hours, 2) * {{ cfg('kpi_manager_hour_cost_rub') }}, 2) as toxic_cost_rub,
    case when previous_as_of is not null then coalesce(chain_customers_at_previous, 0) end as chain_customers_at_previous,
    case when previous_as_of is not null then coalesce(chain_reactivated, 0) end as chain_reactivated,
    case when chain_customers_at_previous > 0 then round(chain_reactivated / chain_customers_at_previous, 4) end as reactivation_rate,
    case when previous_as_of is not null then coalesce(sleeping_at_previous, 0) end as sleeping_at_previous,
    case when previous_as_of is not null then coalesce(sleeping_reactivated, 0) end as sleeping_reactivated,
    case when sleeping_at_previous > 0 then round(sleeping_reactivated / sleeping_at_previous, 4) end as reactivation_rate_sleeping,
    case when previous_as_of is not null then coalesce(near_death_at_previous, 0) end as near_death_at_previous,
    case when previous_as_of is not null then coalesce(near_death_reactivated, 0) end as near_death_reactivated,
    case when near_death_at_previous > 0 then round(near_death_reactivated / near_death_at_previous, 4) end as reactivation_rate_near_death
from kpis
