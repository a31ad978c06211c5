-- The input of identity resolution: one row per accepted source record (up to the as-of date)
-- with its strong keys (contact id, valid personal phone / e-mail) and fuzzy keys (names,
-- birth date, address). A record id landed twice (e.g. the same contact in two exports) is one
-- record: the first landed row wins.
with contacts as (
    select
        'crm_contact' as source,
        contact_id as source_record_id,
        {{ contact_id_key('contact_id') }} as crm_contact_id,
        case when phone_is_valid then phone_e164 end as phone_e164,
        coalesce(extra_phone_e164, comment_phone_e164) as phone_e164_extra,
        coalesce(case when email_is_valid and email_is_personal then email_key end, extra_email_key, comment_email_key) as email_key,
        first_name_key,
        last_name_key,
        middle_name_key,
        first_name_canonical_key,
        name_key,
        is_placeholder_name,
        birth_date,
        lower({{ strip_accents('city') }}) as city_key,
        postcode,
        lower({{ replace_all('address', '[^[:alnum:]]+', ' ') }}) as address_key,
        created_at as record_ts,
        first_name,
        last_name,
        middle_name,
        full_name_clean,
        case when phone_is_valid then phone_e164 else coalesce(extra_phone_e164, comment_phone_e164) end as phone_e164_display,
        coalesce(case when email_is_valid then email end, extra_email, comment_email) as email,
        city,
        address,
        company,
        manager,
        1 as source_priority,
        -- birth date as YYYYMMDD text; an 8-digit raw value that is no valid date (a typo) is kept
        -- as written so that fuzzy date levels can still compare it
        coalesce(
            {{ format_datetime('birth_date', '%Y%m%d') }},
            case when {{ full_match(replace_all('birth_date_raw', '[^0-9]', ''), '(19|20)[0-9]{6}') }}
                 then {{ replace_all('birth_date_raw', '[^0-9]', '') }} end
        ) as birth_date_key,
        nullif(upper({{ replace_all('national_id', '[^\\pL\\pN]', '') }}), '') as national_id_key,
        _source_file,
        _line
    from {{ ref('stg_crm_contacts') }}
),

orders as (
    select
        'order' as source, order_id as source_record_id, {{ contact_id_key('contact_id') }} as crm_contact_id,
        null as phone_e164, null as phone_e164_extra, null as email_key,
        null as first_name_key, null as last_name_key, null as middle_name_key,
        null as first_name_canonical_key, null as name_key, true as is_placeholder_name,
        null::date as birth_date, null as city_key, null as postcode, null as address_key,
        order_ts as record_ts,
        null as first_name, null as last_name, null as middle_name, null as full_name_clean,
        null as phone_e164_display, null as email, null as city, null as address, null as company,
        null as manager, 5 as source_priority,
        null as birth_date_key, null as national_id_key, _source_file, _line
    from {{ ref('stg_orders') }}
),

mail as (
    select
        'mail', message_id, null, null, null, customer_email_key,
        null, null, null, null, null, true,
        null::date, null, null, null,
        sent_at,
        null, null, null, null,
        null, customer_email, null, null, null,
        null, 3, null, null, _source_file, _line
    from {{ ref('stg_mail_messages') }}
),

calls as (
    select
        'call', call_id, null, phone_e164, null, null,
        null, null, null, null, null, true,
        null::date, null, null, null,
        started_at,
        null, null, null, null,
        phone_e164, null, null, null, null,
        manager, 4, null, null, _source_file, _line
    from {{ ref('stg_phone_calls') }}
),

tickets as (
    select
        'ticket', ticket_id, {{ contact_id_key('contact_id') }}, phone_e164, null, email_key,
        null, null, null, null, null, true,
        null::date, null, null, null,
        created_at,
        null, null, null, null,
        phone_e164, null, null, null, null,
        null, 2, null, null, _source_file, _line
    from {{ ref('stg_support_tickets') }}
),

events as (
    select
        'event', event_id, {{ contact_id_key('contact_id') }}, phone_e164, null, email_key,
        null, null, null, null, null, true,
        null::date, null, null, null,
        occurred_at,
        null, null, null, null,
        phone_e164, null, null, null, null,
        null, 6, null, null, _source_file, _line
    from {{ ref('stg_marketing_events') }}
),

-- chat messages mapped to a key (stg_chat_messages); a chat without one stays unmatched there
chats as (
    select
        'chat', message_id, {{ contact_id_key('crm_contact_id') }}, customer_phone_e164, null, customer_email_key,
        null, null, null, null, null, true,
        null::date, null, null, null,
        sent_at,
        null, null, null, null,
        customer_phone_e164, null, null, null, null,
        null, 3, null, null, _source_file, _line
    from {{ ref('stg_chat_messages') }}
    where unmatched_reason is null
),

unioned as (
    select * from contacts
    union all select * from orders
    union all select * from mail
    union all select * from calls
    union all select * from tickets
    union all select * from events
    union all select * from chats
)

select {{ star_except(['_source_file', '_line']) }}
from unioned
where source_record_id is not null
  and (record_ts is null or cast(record_ts as date) <= {{ as_of_date() }})
qualify row_number() over (partition by source, source_record_id order by _source_file, _line) = 1
