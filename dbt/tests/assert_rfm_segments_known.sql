-- Every RFM segment is one of the segments of the seed rfm_segment_map or 'No purchases' (customers without orders).
select r.customer_id, r.rfm_segment
from {{ ref('mart_customer_rfm') }} as r
where r.rfm_segment <> 'No purchases'
  and r.rfm_segment not in (select rfm_segment from {{ ref('rfm_segment_map') }})
