-- One row per landed message. The customer's address is the sender of inbound mail and the
-- recipient of outbound mail; it is resolved through the e-mail lookup.
with messages as (
    select * from {{ source('raw', 'mail_messages') }}
),

date_style as (
    {{ date_style_by_file(source('raw', 'mail_messages'), 'sent_at') }}
),

emails as (
    select * from {{ source('normalized', 'email_lookup') }}
),

typed as (
    select
        trim(m.message_id) as message_id,
        {{ parse_timestamp_styled('m.sent_at', 'ds.month_first') }} as sent_at,
        {{ clean_text('m.from_address') }} as from_address,
        {{ clean_text('m.to_address') }} as to_address,
        {{ clean_text('m.subject') }} as subject,
        m.body,
        case
            when lower(trim(m.direction)) in ('outbound', 'out', 'outgoing', 'sent', 'исходящее', 'исходящий') then 'outbound'
            when lower(trim(m.direction)) in ('inbound', 'in', 'incoming', 'received', 'входящее', 'входящий') then 'inbound'
            else 'inbound'
        end as direction,
        m._source_file,
        m._line
    from messages as m
    left join date_style as ds on ds._source_file = m._source_file
)

select
    t.*,
    case when t.direction = 'outbound' then t.to_address else t.from_address end as customer_address_raw,
    e.email as customer_email,
    case when e.is_valid and e.is_personal then e.email_key end as customer_email_key
from typed as t
left join emails as e
    on e.raw = case when t.direction = 'outbound' then t.to_address else t.from_address end
