-- As-of correctness: no mart input dated after the as-of date, no purchase in the future.
{# reads several models: Dagster shows it as a check on mart_customer_rfm (dagster-dbt reads meta.dagster.ref) #}
{{ config(meta={'dagster': {'ref': {'name': 'mart_customer_rfm'}}}) }}
select 'order' as what, order_id as id from {{ ref('int_customer_orders') }} where order_date > {{ as_of_date() }}
union all
select 'touch', interaction_id from {{ ref('int_customer_interactions') }} where occurred_date > {{ as_of_date() }}
union all
select 'rfm', customer_id from {{ ref('mart_customer_rfm') }} where recency_days < 0 or as_of <> {{ as_of_date() }}
