-- Completeness of every golden record (core.customers) as of the run date: which golden fields
-- are filled, which are validated, a weighted 0–100 score (seed dq_completeness_weights,
-- entity = customer), the missing fields and the quality flags of the customer.
{%- set fields = ['name', 'phone', 'email', 'birth_date', 'city', 'company', 'manager', 'address'] %}
{%- set as_of = as_of_date() %}
{%- set birth_min = "cast('" ~ qcfg('dq_birth_date_min') ~ "' as date)" %}
with customers as (
    select * from {{ source('core', 'customers') }}
),

-- what the customer's CRM contact rows hold (raw values, placeholder names, quarantine)
crm as (
    select
        i.customer_id,
        count(*) as crm_contact_rows,
        bool_or(not r.is_placeholder_name) as has_real_name,
        bool_or(r.phone_raw is not null) as any_phone_landed,
        bool_or(r.email_raw is not null) as any_email_landed,
        bool_or(r.birth_date_filled) as any_birth_date_landed,
        bool_or(r.name_filled) as any_name_landed,
        bool_or(r.is_quarantined) as any_record_quarantined,
        bool_and(r.is_quarantined) as all_records_quarantined
    from {{ source('core', 'customer_identity') }} as i
    inner join {{ ref('quality_contact_records') }} as r
        on i.source = 'crm_contact' and r.contact_id = i.source_record_id
    group by i.customer_id
),

fields as (
    select
        c.customer_id,
        c.full_name,
        c.phone_e164,
        c.email,
        c.birth_date,
        c.city,
        c.company,
        c.manager,
        c.sources,
        c.record_count,
        coalesce(k.crm_contact_rows, 0) as crm_contact_rows,
        coalesce(k.any_record_quarantined, false) as any_record_quarantined,
        coalesce(k.all_records_quarantined, false) as all_records_quarantined,
        coalesce(c.full_name, c.first_name, c.last_name) is not null or coalesce(k.any_name_landed, false) as name_filled,
        coalesce(c.full_name, c.first_name, c.last_name) is not null and coalesce(k.has_real_name, false) as name_valid,
        c.phone_e164 is not null or coalesce(k.any_phone_landed, false) as phone_filled,
        coalesce(c.has_valid_phone, false) as phone_valid,
        c.email is not null or coalesce(k.any_email_landed, false) as email_filled,
        coalesce(c.has_valid_email, false) as email_valid,
        c.birth_date is not null or coalesce(k.any_birth_date_landed, false) as birth_date_filled,
        c.birth_date is not null and c.birth_date <= {{ as_of }} and c.birth_date >= {{ birth_min }}
            and c.birth_date >= {{ minus_years(as_of, qcfg('dq_max_age_years')) }} as birth_date_valid,
        c.city is not null as city_filled,
        c.city is not null as city_valid,
        c.company is not null as company_filled,
        c.company is not null as company_valid,
        c.manager is not null as manager_filled,
        c.manager is not null as manager_valid,
        c.address is not null as address_filled,
        c.address is not null as address_valid
    from customers as c
    left join crm as k on k.customer_id = c.customer_id
),

weights as (
    {{ dq_weights_row('customer', fields) }}
)

select
    {{ as_of }} as as_of,
    r.customer_id,
    r.full_name,
    r.phone_e164,
    r.email,
    r.sources,
    r.record_count,
    r.crm_contact_rows,
    {%- for f in fields %}
    r.{{ f }}_filled,
    r.{{ f }}_valid,
    {%- endfor %}
    r.phone_valid or r.email_valid as is_reachable,
    {{ dq_completeness_score(fields, 'r', 'w') }} as completeness_score,
    {%- set missing = [] %}
    {%- for f in fields %}{% do missing.append("case when not r." ~ f ~ "_valid then '" ~ f ~ "' end") %}{% endfor %}
    {{ non_null_list(missing, 'x') }} as missing_fields,
    {{ dq_reason_list([
        ('name_placeholder', 'r.name_filled and not r.name_valid'),
        ('name_missing', 'not r.name_filled'),
        ('phone_missing', 'not r.phone_valid'),
        ('email_missing', 'not r.email_valid'),
        ('no_contact_channel', 'not r.phone_valid and not r.email_valid'),
        ('no_crm_contact', 'r.crm_contact_rows = 0'),
        ('crm_record_quarantined', 'r.any_record_quarantined'),
    ]) }} as dq_flags,
    r.all_records_quarantined
from fields as r
cross join weights as w
