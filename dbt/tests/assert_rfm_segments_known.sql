-- Every RFM segment is one of the segments of the seed rfm_segment_map or 'No purchases' (customers without orders).
{# reads several models: Dagster shows it as a check on mart_customer_rfm (dagster-dbt reads meta.dagster.ref) #}
{{ config(meta={'dagster': {'ref': {'name': 'mart_customer_rfm'}}}) }}
select r.customer_id, r.rfm_segment
from {{ ref('mart_customer_rfm') }} as r
where r.rfm_segment <> 'No purchases'
  and r.rfm_segment not in (select rfm_segment from {{ ref('rfm_segment_map') }})
