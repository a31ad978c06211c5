-- «Точка А»: contact coverage of the customer base as of the run date. One row per
-- identity source (crm_contact, order, mail, call, ticket, event) - the customers known from that
-- source and how reachable they are (golden record: valid e-mail, valid phone, both, any) - and
-- one row `all` for the whole base (customers = core.customers). History: quality_coverage_history.
with identity as (
    select customer_id, source from {{ source('core', 'customer_identity') }}
),

customers as (
    select
        customer_id,
        coalesce(has_valid_email, false) as has_valid_email,
        coalesce(has_valid_phone, false) as has_valid_phone
    from {{ source('core', 'customers') }}
),

-- any e-mail / phone landed for the customer in a CRM row, valid or not ("has an e-mail at all")
landed as (
    select
        customer_id,
        bool_or(email_raw is not null or comment_email is not null) as any_email,
        bool_or(phone_raw is not null or comment_phone_e164 is not null) as any_phone
    from {{ ref('quality_contact_records') }}
    where customer_id is not null
    group by customer_id
),

per_customer as (
    select
        c.customer_id,
        c.has_valid_email,
        c.has_valid_phone,
        c.has_valid_email or coalesce(l.any_email, false) as has_email,
        c.has_valid_phone or coalesce(l.any_phone, false) as has_phone
    from customers as c
    left join landed as l on l.customer_id = c.customer_id
),

per_source as (
    select source, count(*) as records, count(distinct customer_id) as customers
    from identity
    group by source
),

source_customers as (
    select distinct i.source, p.*
    from identity as i
    inner join per_customer as p on p.customer_id = i.customer_id
),

by_source as (
    select
        s.source,
        s.records,
        s.customers,
        count(*) filter (where c.has_email) as customers_with_email,
        count(*) filter (where c.has_valid_email) as customers_with_valid_email,
        count(*) filter (where c.has_phone) as customers_with_phone,
        count(*) filter (where c.has_valid_phone) as customers_with_valid_phone,
        count(*) filter (where c.has_valid_email and c.has_valid_phone) as customers_with_both,
        count(*) filter (where c.has_valid_email or c.has_valid_phone) as customers_reachable,
        count(*) filter (where not c.has_valid_email and not c.has_valid_phone) as customers_unreachable
    from per_source as s
    left join source_customers as c on c.source = s.source
    group by s.source, s.records, s.customers
),

overall as (
    select
        'all' as source,
        (select count(*) from identity) as records,
        count(*) as customers,
        count(*) filter (where has_email) as customers_with_email,
        count(*) filter (where has_valid_email) as customers_with_valid_email,
        count(*) filter (where has_phone) as customers_with_phone,
        count(*) filter (where has_valid_phone) as customers_with_valid_phone,
        count(*) filter (where has_valid_email and has_valid_phone) as customers_with_both,
        count(*) filter (where has_valid_email or has_valid_phone) as customers_reachable,
        count(*) filter (where not has_valid_email and not has_valid_phone) as customers_unreachable
    from per_customer
),

unioned as (
    select * from by_source
    union all
    select * from overall
)

select
    {{ as_of_date() }} as as_of,
    u.*,
    round(u.customers_with_valid_email / nullif(u.customers, 0), 4) as valid_email_share,
    round(u.customers_with_valid_phone / nullif(u.customers, 0), 4) as valid_phone_share,
    round(u.customers_with_both / nullif(u.customers, 0), 4) as both_share,
    round(u.customers_reachable / nullif(u.customers, 0), 4) as reachable_share,
    round(u.customers_with_valid_email / nullif(u.customers_with_email, 0), 4) as email_validity_rate,
    round(u.customers_with_valid_phone / nullif(u.customers_with_phone, 0), 4) as phone_validity_rate
from unioned as u
order by case when u.source = 'all' then 1 else 0 end, u.source
