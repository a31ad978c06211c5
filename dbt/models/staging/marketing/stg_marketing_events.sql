-- One row per landed marketing event with its identifiers normalised.
with events as (
    select * from {{ source('raw', 'marketing_events') }}
),

date_style as (
    {{ date_style_by_file(source('raw', 'marketing_events'), 'occurred_at') }}
),

phones as (
    select * from {{ source('normalized', 'phone_lookup') }}
),

emails as (
    select * from {{ source('normalized', 'email_lookup') }}
)

select
    trim(ev.event_id) as event_id,
    {{ parse_timestamp_styled('ev.occurred_at', 'ds.month_first') }} as occurred_at,
    {{ clean_text('ev.contact_id') }} as contact_id,
    case when e.is_valid and e.is_personal then e.email_key end as email_key,
    case when p.is_valid then p.e164 end as phone_e164,
    lower({{ clean_text('ev.event_type') }}) as event_type,
    ev._source_file,
    ev._line
from events as ev
left join phones as p on p.raw = ev.phone
left join emails as e on e.raw = ev.email
left join date_style as ds on ds._source_file = ev._source_file
