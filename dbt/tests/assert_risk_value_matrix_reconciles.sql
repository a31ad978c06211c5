-- The matrix cells add up to the customers with a purchase, and those plus the customers without
-- purchases add up to core.customers.
{# reads several models: Dagster shows it as a check on mart_risk_value_matrix (dagster-dbt reads meta.dagster.ref) #}
{{ config(meta={'dagster': {'ref': {'name': 'mart_risk_value_matrix'}}}) }}
with matrix as (select coalesce(sum(customers), 0) as n, coalesce(sum(revenue), 0) as revenue from {{ ref('mart_risk_value_matrix') }}),
positions as (
    select count(*) filter (where risk_stage is not null) as buyers,
           count(*) filter (where risk_stage is null) as non_buyers,
           coalesce(sum(monetary) filter (where risk_stage is not null), 0) as revenue
    from {{ ref('mart_customer_risk_value') }}
),
customers as (select count(*) as n from {{ source('core', 'customers') }})
select *
from matrix, positions, customers
where matrix.n <> positions.buyers
   or positions.buyers + positions.non_buyers <> customers.n
   or abs(matrix.revenue - positions.revenue) > 0.01
