-- Quarantine, not loss: one row per staging CRM contact row (same count as stg_crm_contacts),
-- with machine-readable reason codes, the quarantine flag and a completeness score.
-- Reason codes and which of them quarantine a record: seed dq_reason_codes; weights: seed
-- dq_completeness_weights (entity = contact). Dates are compared with var as_of, never the clock.
{%- set fields = ['name', 'phone', 'email', 'birth_date', 'city', 'company', 'manager', 'created_at'] %}
{%- set as_of = as_of_date() %}
{%- set birth_min = "cast('" ~ qcfg('dq_birth_date_min') ~ "' as date)" %}
with contacts as (
    select * from {{ ref('stg_crm_contacts') }}
),

id_counts as (
    select contact_id, count(*) as n from contacts where contact_id is not null group by contact_id
),

identity as (
    select source_record_id, customer_id
    from {{ source('core', 'customer_identity') }}
    where source = 'crm_contact'
),

manager_spellings as (
    select raw, manager from {{ source('normalized', 'manager_lookup') }}
),

manager_aliases as (
    select trim(manager_raw) as manager_raw, max(trim(manager)) as manager
    from {{ ref('dq_manager_aliases') }}
    group by 1
),

flags as (
    select
        c.*,
        nullif(trim(c.contact_id), '') is null as contact_id_missing,
        coalesce(ic.n, 0) > 1 as contact_id_duplicate,
        -- the normaliser blanks a placeholder name and says why: missing = nothing landed at all
        coalesce(c.full_name_clean, c.first_name, c.last_name, c.middle_name) is null
            and c.placeholder_reason is null as name_missing,
        -- a usable channel: a valid phone or e-mail in its field, or one mined from the comment
        c.phone_is_valid or c.email_is_valid or c.comment_phone_e164 is not null or c.comment_email is not null
            as has_contact_channel,
        (not c.phone_is_valid and c.comment_phone_e164 is not null)
            or (not c.email_is_valid and c.comment_email is not null) as contact_only_in_comment,
        c.birth_date_raw is not null and c.birth_date is null as birth_date_unparsed,
        c.birth_date is not null and c.birth_date > {{ as_of }} as birth_date_future,
        c.birth_date is not null and (
            c.birth_date < {{ birth_min }}
            or c.birth_date < {{ minus_years(as_of, qcfg('dq_max_age_years')) }}
        ) as birth_date_implausible,
        c.created_at_raw is not null and c.created_at is null as created_at_unparsed,
        c.created_at is not null and cast(c.created_at as date) > {{ as_of }} as created_at_future
    from contacts as c
    left join id_counts as ic on ic.contact_id = c.contact_id
),

scored as (
    select
        f.*,
        -- completeness inputs: filled = something is there, valid = it passed the standard
        not f.name_missing as name_filled,
        not f.name_missing and not f.is_placeholder_name
            and coalesce(f.full_name_clean, f.first_name, f.last_name) is not null as name_valid,
        f.phone_raw is not null or f.comment_phone_e164 is not null as phone_filled,
        f.phone_is_valid or f.comment_phone_e164 is not null as phone_valid,
        f.email_raw is not null or f.comment_email is not null as email_filled,
        (f.email_is_valid and f.email_is_personal) or f.comment_email is not null as email_valid,
        f.birth_date_raw is not null as birth_date_filled,
        f.birth_date is not null and not f.birth_date_future and not f.birth_date_implausible as birth_date_valid,
        f.city is not null as city_filled,
        f.city is not null as city_valid,
        f.company is not null as company_filled,
        f.company is not null as company_valid,
        f.manager is not null as manager_filled,
        f.manager is not null as manager_valid,
        f.created_at_raw is not null as created_at_filled,
        f.created_at is not null and not f.created_at_future as created_at_valid,
        {{ dq_reason_list([
            ('contact_id_missing', 'f.contact_id_missing'),
            ('contact_id_duplicate', 'f.contact_id_duplicate'),
            ('name_missing', 'f.name_missing'),
            ('name_placeholder', 'f.is_placeholder_name and not f.name_missing'),
            ('phone_missing', "f.phone_kind = 'empty'"),
            ('phone_junk', "f.phone_kind = 'junk'"),
            ('phone_invalid', "f.phone_kind = 'invalid'"),
            ('phone_toll_free', "f.phone_kind = 'toll_free'"),
            ('email_missing', "f.email_status = 'empty'"),
            ('email_junk', "f.email_status = 'junk'"),
            ('email_invalid', "f.email_status = 'invalid_syntax'"),
            ('email_role', "f.email_status = 'role'"),
            ('email_typo_fixed', "f.email_status = 'typo_fixed'"),
            ('no_contact_channel', 'not f.has_contact_channel'),
            ('contact_only_in_comment', 'f.contact_only_in_comment'),
            ('birth_date_unparsed', 'f.birth_date_unparsed'),
            ('birth_date_implausible', 'f.birth_date_implausible'),
            ('birth_date_future', 'f.birth_date_future'),
            ('created_at_unparsed', 'f.created_at_unparsed'),
            ('created_at_future', 'f.created_at_future'),
            ('manager_missing', 'f.manager is null'),
        ]) }} as dq_reasons
    from flags as f
),

blocking as (
    select coalesce({{ ordered_list('reason_code', 'reason_code') }}, {{ empty_text_list() }}) as codes
    from {{ ref('dq_reason_codes') }}
    where is_blocking
),

weights as (
    {{ dq_weights_row('contact', fields) }}
)

select
    {{ as_of }} as as_of,
    r.contact_id,
    r._source_file,
    r._line,
    i.customer_id,
    r.full_name_clean,
    r.first_name,
    r.last_name,
    r.middle_name,
    r.is_placeholder_name,
    r.placeholder_reason,
    r.phone_raw,
    r.phone_e164,
    r.phone_kind,
    r.phone_is_valid,
    r.comment_phone_e164,
    r.email_raw,
    r.email,
    r.email_status,
    r.email_is_valid,
    r.email_is_personal,
    r.comment_email,
    r.birth_date,
    r.city,
    r.company,
    r.created_at,
    r.manager,
    coalesce(ma.manager, ms.manager, r.manager, '(no manager)') as manager_group,
    r.has_contact_channel,
    r.dq_reasons,
    {{ list_size('r.dq_reasons') }} as dq_reason_count,
    {{ list_filter_in('r.dq_reasons', 'b.codes') }} as dq_blocking_reasons,
    {{ list_size(list_filter_in('r.dq_reasons', 'b.codes')) }} > 0 as is_quarantined,
    {%- for f in fields %}
    r.{{ f }}_filled,
    r.{{ f }}_valid,
    {%- endfor %}
    {{ dq_completeness_score(fields, 'r', 'w') }} as completeness_score
from scored as r
cross join weights as w
cross join blocking as b
left join identity as i on i.source_record_id = r.contact_id
left join manager_aliases as ma on ma.manager_raw = r.manager
left join manager_spellings as ms on ms.raw = r.manager
