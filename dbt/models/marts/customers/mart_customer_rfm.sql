-- RFM per customer as of the as-of date. Every customer of core.customers gets a
-- row; customers without a completed purchase up to the as-of date get NULL recency / scores and
-- the segment 'No purchases'.
--   recency_days = as_of - last completed purchase date
--   frequency    = completed orders
--   monetary     = completed amount - returned amount (returns subtract, cancellations ignored)
-- Scores 1-5 (5 = best): rfm_score_mode 'quantile' = ntile(5) over (value, customer_id) among
-- buyers (stable tie rule), 'fixed' = the configured thresholds (comparable over time).
-- Segment: the R x F map of the seed rfm_segment_map.
{%- set mode = cfg('rfm_score_mode') %}
with customers as (
    select customer_id from {{ source('core', 'customers') }}
),

orders as (
    select * from {{ ref('int_customer_orders') }}
),

agg as (
    select
        customer_id,
        min(order_date) filter (where status_class = 'completed') as first_purchase_date,
        max(order_date) filter (where status_class = 'completed') as last_purchase_date,
        count(*) filter (where status_class = 'completed') as frequency,
        coalesce(sum(amount) filter (where status_class = 'completed'), 0) as gross_amount,
        count(*) filter (where status_class = 'returned') as returns_count,
        coalesce(sum(abs(amount)) filter (where status_class = 'returned'), 0) as returned_amount
    from orders
    group by customer_id
),

base as (
    select
        c.customer_id,
        a.first_purchase_date,
        a.last_purchase_date,
        {{ diff_days('a.last_purchase_date', as_of_date()) }} as recency_days,
        coalesce(a.frequency, 0) as frequency,
        coalesce(a.gross_amount, 0) - coalesce(a.returned_amount, 0) as monetary,
        coalesce(a.gross_amount, 0) as gross_amount,
        coalesce(a.returned_amount, 0) as returned_amount,
        coalesce(a.returns_count, 0) as returns_count
    from customers as c
    left join agg as a on a.customer_id = c.customer_id
),

scored as (
    select
        customer_id,
        {{ score_5('recency_days', mode, cfg('rfm_recency_thresholds'), higher_is_better=false) }} as r_score,
        {{ score_5('frequency', mode, cfg('rfm_frequency_thresholds')) }} as f_score,
        {{ score_5('monetary', mode, cfg('rfm_monetary_thresholds')) }} as m_score
    from base
    where frequency > 0
),

segments as (
    select r_score, f_score, rfm_segment, rfm_segment_ru from {{ ref('rfm_segment_map') }}
)

select
    b.customer_id,
    {{ as_of_date() }} as as_of,
    b.first_purchase_date,
    b.last_purchase_date,
    b.recency_days,
    b.frequency,
    b.monetary,
    b.gross_amount,
    b.returned_amount,
    b.returns_count,
    s.r_score,
    s.f_score,
    s.m_score,
    cast(s.r_score as {{ type_text() }}) || cast(s.f_score as {{ type_text() }}) || cast(s.m_score as {{ type_text() }}) as rfm_code,
    case when b.frequency = 0 then 'No purchases' else coalesce(g.rfm_segment, 'Unmapped') end as rfm_segment,
    case when b.frequency = 0 then 'Без покупок' else coalesce(g.rfm_segment_ru, 'Без сегмента') end as rfm_segment_ru
from base as b
left join scored as s on s.customer_id = b.customer_id
left join segments as g on g.r_score = s.r_score and g.f_score = s.f_score
