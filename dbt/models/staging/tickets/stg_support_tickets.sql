-- One row per landed ticket. Complaint and billing/price classes come from the editable seed
-- `ticket_category_map`.
with tickets as (
    select * from {{ source('raw', 'support_tickets') }}
),

phones as (
    select * from {{ source('normalized', 'phone_lookup') }}
),

emails as (
    select * from {{ source('normalized', 'email_lookup') }}
),

date_style as (
    {{ date_style_by_file(source('raw', 'support_tickets'), 'created_at') }}
),

categories as (
    select lower(trim(category_raw)) as category_key, is_complaint, is_billing_price, is_refund
    from {{ ref('ticket_category_map') }}
)

select
    trim(t.ticket_id) as ticket_id,
    {{ parse_timestamp_styled('t.created_at', 'ds.month_first') }} as created_at,
    {{ parse_timestamp_styled('t.closed_at', 'ds.month_first') }} as closed_at,
    {{ clean_text('t.contact_id') }} as contact_id,
    {{ clean_text('t.email') }} as email_raw,
    case when e.is_valid and e.is_personal then e.email_key end as email_key,
    {{ clean_text('t.phone') }} as phone_raw,
    case when p.is_valid then p.e164 end as phone_e164,
    lower({{ clean_text('t.category') }}) as category,
    coalesce(c.is_complaint, false) as is_complaint,
    coalesce(c.is_billing_price, false) as is_billing_price,
    coalesce(c.is_refund, false) as is_refund,
    lower({{ clean_text('t.status') }}) as status,
    coalesce(cast({{ parse_number('t.reopen_count') }} as integer), 0) as reopen_count,
    coalesce({{ parse_number('t.handling_minutes') }}, 0) as handling_minutes,
    t.text,
    t._source_file,
    t._line
from tickets as t
left join phones as p on p.raw = t.phone
left join emails as e on e.raw = t.email
left join categories as c on c.category_key = lower(trim(t.category))
left join date_style as ds on ds._source_file = t._source_file
