-- One row per landed chat message, mapped to a customer key: the author's own phone, e-mail or
-- username (a username / Telegram id found in the CRM's extra columns, e.g. «Telegram», gives the
-- CRM contact id); messages of the company (outbound) and authors without a key take the key
-- their chat's inbound authors have (the most frequent one), so a whole chat belongs to one
-- customer. A message whose chat has no key stays here with unmatched_reason and reaches neither
-- identity nor scoring.
with messages as (
    select * from {{ source('raw', 'chat_messages') }}
),

date_style as (
    {{ date_style_by_file(source('raw', 'chat_messages'), 'sent_at') }}
),

phones as (
    select * from {{ source('normalized', 'phone_lookup') }}
),

emails as (
    select * from {{ source('normalized', 'email_lookup') }}
),

-- usernames / Telegram ids in the CRM's extra columns -> the one contact holding them
crm_handles as (
    select handle, min(contact_id) as contact_id
    from (
        select
            trim(contact_id) as contact_id,
            {{ chat_handle_key(extra_field('_extra', chat_handle_headers())) }} as handle
        from {{ source('raw', 'crm_contacts') }}
    )
    where handle is not null and contact_id is not null and contact_id <> ''
    group by handle
    having count(distinct contact_id) = 1
),

typed as (
    select
        trim(m.message_id) as message_id,
        coalesce(nullif(trim(m.chat_id), ''), m._source_file) as chat_id,
        {{ parse_timestamp_styled('m.sent_at', 'ds.month_first') }} as sent_at,
        case
            when lower(trim(m.direction)) in ('outbound', 'out', 'outgoing', 'sent', 'исходящее', 'исходящий') then 'outbound'
            else 'inbound'
        end as direction,
        {{ clean_text('m.author') }} as author,
        nullif(trim(m.author_id), '') as author_id,
        m.phone as phone_raw,
        {{ chat_handle_key('m.username') }} as username,
        m.email as email_raw,
        m.text,
        coalesce({{ json_text('m._extra', '$.platform') }},
                 case when m._source_file ilike '%.csv' then 'csv' end) as platform,
        {{ json_text('m._extra', '$.media') }} as media,
        m._source_file,
        m._line
    from messages as m
    left join date_style as ds on ds._source_file = m._source_file
),

keyed as (
    select
        t.*,
        case when p.is_valid and coalesce(p.phone_kind, '') not in ('toll_free', 'junk') then p.e164 end as phone_e164,
        case when e.is_valid and e.is_personal then e.email_key end as email_key,
        coalesce(hu.contact_id, hi.contact_id) as crm_contact_id
    from typed as t
    left join phones as p on p.raw = t.phone_raw and t.direction = 'inbound'
    left join emails as e on e.raw = t.email_raw and t.direction = 'inbound'
    left join crm_handles as hu on hu.handle = t.username and t.direction = 'inbound'
    left join crm_handles as hi
        on hi.handle = {{ chat_handle_key("regexp_replace(t.author_id, '^user', '')") }} and t.direction = 'inbound'
),

-- the chat's customer: the most frequent key of its inbound messages
chat_keys as (
    select
        chat_id,
        mode(crm_contact_id) as chat_crm_contact_id,
        mode(phone_e164) as chat_phone_e164,
        mode(email_key) as chat_email_key
    from keyed
    where direction = 'inbound'
    group by chat_id
)

select
    k.message_id,
    k.chat_id,
    k.sent_at,
    k.direction,
    k.author,
    k.author_id,
    k.phone_raw,
    k.username,
    k.email_raw,
    k.text,
    k.platform,
    k.media,
    coalesce(k.crm_contact_id, c.chat_crm_contact_id) as crm_contact_id,
    coalesce(k.phone_e164, c.chat_phone_e164) as customer_phone_e164,
    coalesce(k.email_key, c.chat_email_key) as customer_email_key,
    case
        when coalesce(k.crm_contact_id, c.chat_crm_contact_id, k.phone_e164, c.chat_phone_e164,
                      k.email_key, c.chat_email_key) is not null then null
        when k.direction = 'outbound' then 'company message in a chat whose customer has no phone, e-mail or known username'
        when k.username is not null or k.author_id is not null then 'username / account id not found in the CRM, no valid phone or e-mail'
        when k.phone_raw is not null or k.email_raw is not null then 'phone / e-mail not valid or not personal'
        else 'author known by name only: no phone, e-mail or username'
    end as unmatched_reason,
    k._source_file,
    k._line
from keyed as k
left join chat_keys as c on c.chat_id = k.chat_id
