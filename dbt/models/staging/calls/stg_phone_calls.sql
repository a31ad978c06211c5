-- One row per landed call with the customer's phone in E.164.
with calls as (
    select * from {{ source('raw', 'phone_calls') }}
),

date_style as (
    {{ date_style_by_file(source('raw', 'phone_calls'), 'started_at') }}
),

phones as (
    select * from {{ source('normalized', 'phone_lookup') }}
)

select
    trim(c.call_id) as call_id,
    {{ parse_timestamp_styled('c.started_at', 'ds.month_first') }} as started_at,
    {{ clean_text('c.phone') }} as phone_raw,
    case when p.is_valid then p.e164 end as phone_e164,
    coalesce(p.phone_kind, 'empty') as phone_kind,
    case
        when lower(trim(c.direction)) in ('outbound', 'out', 'outgoing', 'исходящий') then 'outbound'
        when lower(trim(c.direction)) in ('inbound', 'in', 'incoming', 'входящий') then 'inbound'
        else lower(trim(c.direction))
    end as direction,
    lower({{ clean_text('c.status') }}) as status,
    coalesce({{ parse_number('c.duration_sec') }}, 0) as duration_sec,
    {{ clean_text('c.manager') }} as manager,
    {{ clean_text('c.transcript') }} as transcript,
    c._source_file,
    c._line
from calls as c
left join phones as p on p.raw = c.phone
left join date_style as ds on ds._source_file = c._source_file
