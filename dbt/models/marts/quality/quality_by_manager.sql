-- "Who fills profiles badly": data-filling quality of CRM contact rows per responsible manager
-- (as landed, or the canonical name from seed dq_manager_aliases; empty = '(no manager)').
-- Ranked by mean completeness, worst first. Sums reconcile with stg_crm_contacts.
with records as (
    select * from {{ ref('quality_contact_records') }}
),

by_manager as (
    select
        r.manager_group as manager,
        {{ dq_group_metrics('r') }}
    from records as r
    group by r.manager_group
)

select
    {{ as_of_date() }} as as_of,
    b.*,
    rank() over (order by b.mean_completeness asc, b.quarantined_share desc) as rank_worst_first
from by_manager as b
order by rank_worst_first, b.manager
