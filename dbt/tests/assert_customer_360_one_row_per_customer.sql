-- customer_360 has exactly the customers of core.customers.
{# reads several models: Dagster shows it as a check on customer_360 (dagster-dbt reads meta.dagster.ref) #}
{{ config(meta={'dagster': {'ref': {'name': 'customer_360'}}}) }}
select c.customer_id, x.customer_id as c360_customer_id
from {{ source('core', 'customers') }} as c
full outer join {{ ref('customer_360') }} as x on x.customer_id = c.customer_id
where c.customer_id is null or x.customer_id is null
