-- One row per landed CRM contact row, typed and normalised: names from the Python name
-- normaliser, phone / e-mail through the distinct-value lookups, contacts mined from comment.
with contacts as (
    select * from {{ source('raw', 'crm_contacts') }}
),

date_style as (
    {{ date_style_by_file(source('raw', 'crm_contacts'), 'created_at') }}
),

names as (
    select * from {{ source('normalized', 'contact_names') }}
),

phones as (
    select * from {{ source('normalized', 'phone_lookup') }}
),

emails as (
    select * from {{ source('normalized', 'email_lookup') }}
),

comment_phones as (
    select
        tc._source_file,
        tc._line,
        p.e164,
        row_number() over (partition by tc._source_file, tc._line order by tc.position, tc.raw) as rn
    from {{ source('normalized', 'text_contacts') }} as tc
    inner join phones as p on p.raw = tc.raw
    where tc.source_table = 'crm_contacts' and tc.kind = 'phone' and p.is_valid
),

comment_emails as (
    select
        tc._source_file,
        tc._line,
        e.email,
        e.email_key,
        row_number() over (partition by tc._source_file, tc._line order by tc.position, tc.raw) as rn
    from {{ source('normalized', 'text_contacts') }} as tc
    inner join emails as e on e.raw = tc.raw
    where tc.source_table = 'crm_contacts' and tc.kind = 'email' and e.is_valid and e.is_personal
),

-- further phone / e-mail headers of the row («Рабочий телефон», «Личный email»): the first valid
-- one that differs from the row's own
extra_phones as (
    select
        x._source_file,
        x._line,
        p.e164,
        row_number() over (partition by x._source_file, x._line order by x.position, x.raw) as rn
    from {{ source('normalized', 'extra_contacts') }} as x
    inner join phones as p on p.raw = x.raw
    inner join contacts as c on c._source_file = x._source_file and c._line = x._line
    left join phones as own on own.raw = c.phone
    where x.source_table = 'crm_contacts' and x.kind = 'phone' and p.is_valid
      and p.e164 is distinct from (case when own.is_valid then own.e164 end)
),

extra_emails as (
    select
        x._source_file,
        x._line,
        e.email,
        e.email_key,
        row_number() over (partition by x._source_file, x._line order by x.position, x.raw) as rn
    from {{ source('normalized', 'extra_contacts') }} as x
    inner join emails as e on e.raw = x.raw
    inner join contacts as c on c._source_file = x._source_file and c._line = x._line
    left join emails as own on own.raw = c.email
    where x.source_table = 'crm_contacts' and x.kind = 'email' and e.is_valid and e.is_personal
      and e.email_key is distinct from (case when own.is_valid and own.is_personal then own.email_key end)
)

select
    trim(c.contact_id) as contact_id,
    c._source_file,
    c._line,
    n.first_name,
    n.last_name,
    n.middle_name,
    n.full_name_clean,
    n.first_name_key,
    n.last_name_key,
    n.middle_name_key,
    n.first_name_canonical_key,
    n.name_key,
    coalesce(n.is_placeholder_name, true) as is_placeholder_name,
    n.placeholder_reason,
    {{ clean_text('c.phone') }} as phone_raw,
    p.e164 as phone_e164,
    coalesce(p.phone_kind, case when {{ clean_text('c.phone') }} is null then 'empty' else 'invalid' end) as phone_kind,
    coalesce(p.is_valid, false) as phone_is_valid,
    p.reason as phone_reason,
    cp.e164 as comment_phone_e164,
    {{ clean_text('c.email') }} as email_raw,
    e.email,
    e.email_key,
    coalesce(e.email_status, case when {{ clean_text('c.email') }} is null then 'empty' else 'invalid_syntax' end) as email_status,
    coalesce(e.is_valid, false) as email_is_valid,
    coalesce(e.is_personal, false) as email_is_personal,
    e.suggestion as email_suggestion,
    ce.email as comment_email,
    ce.email_key as comment_email_key,
    cast({{ parse_timestamp_styled('c.birth_date', 'ds.month_first') }} as date) as birth_date,
    {{ clean_text('c.birth_date') }} as birth_date_raw,
    {{ clean_text('c.city') }} as city,
    {{ clean_text('c.address') }} as address,
    {{ clean_text('c.postcode') }} as postcode,
    {{ clean_text('c.region') }} as region,
    {{ clean_text(extra_field('c._extra', national_id_headers())) }} as national_id,
    {{ clean_text('c.company') }} as company,
    {{ parse_timestamp_styled('c.created_at', 'ds.month_first') }} as created_at,
    {{ clean_text('c.created_at') }} as created_at_raw,
    {{ clean_text('c.manager') }} as manager,
    {{ clean_text('c.comment') }} as comment,
    xp.e164 as extra_phone_e164,
    xe.email as extra_email,
    xe.email_key as extra_email_key
from contacts as c
left join names as n on n._source_file = c._source_file and n._line = c._line
left join phones as p on p.raw = c.phone
left join emails as e on e.raw = c.email
left join comment_phones as cp on cp._source_file = c._source_file and cp._line = c._line and cp.rn = 1
left join comment_emails as ce on ce._source_file = c._source_file and ce._line = c._line and ce.rn = 1
left join date_style as ds on ds._source_file = c._source_file
left join extra_phones as xp on xp._source_file = c._source_file and xp._line = c._line and xp.rn = 1
left join extra_emails as xe on xe._source_file = c._source_file and xe._line = c._line and xe.rn = 1
