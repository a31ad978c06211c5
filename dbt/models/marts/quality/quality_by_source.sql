-- Data-filling quality per CRM source file (each export / system): how many contact rows, how
-- many quarantined, placeholder names, junk and missing contacts, mean completeness, and the rows
-- of that file rejected at ingestion (raw.rejected_rows, source crm_contacts) - a file rejected
-- as a whole shows up with 0 contacts. Sums of `contacts` reconcile with stg_crm_contacts.
with records as (
    select * from {{ ref('quality_contact_records') }}
),

rejected as (
    select file, count(*) as rejected_rows
    from {{ source('raw', 'rejected_rows') }}
    where source = 'crm_contacts'
    group by file
),

by_file as (
    select
        r._source_file as source_file,
        {{ dq_group_metrics('r') }}
    from records as r
    group by r._source_file
)

select
    {{ as_of_date() }} as as_of,
    coalesce(b.source_file, j.file) as source_file,
    coalesce(b.contacts, 0) as contacts,
    b.{{ star_except(['source_file', 'contacts']) }},
    coalesce(j.rejected_rows, 0) as rejected_rows
from by_file as b
full outer join rejected as j on j.file = b.source_file
order by 2
