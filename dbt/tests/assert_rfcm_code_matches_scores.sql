-- rfcm_code = R F M scores, then the complaint and resource LEVELS (6 - reverse score).
select customer_id
from {{ ref('mart_customer_rfcm') }}
where rfcm_code is not null
  and rfcm_code <> cast(r_score as varchar) || cast(f_score as varchar) || cast(m_score as varchar)
                   || cast(6 - c_score as varchar) || cast(6 - resource_score as varchar)
