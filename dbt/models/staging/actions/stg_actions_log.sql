-- One row per landed action (what the business sent from the action lists and how the customer
-- answered) with its identifiers, dates and codes normalised. Codes are lower-case: action is a
-- chain step code (seed reactivation_chain), goodbye, should_have_bought, a trigger code (seed
-- trigger_playbook) or call; response is opened / clicked / replied / bought / none (a Russian
-- spelling is translated, anything else stays as landed and is rejected by mart_actions_log).
with actions as (
    select * from {{ source('raw', 'actions_log') }}
),

sent_style as (
    {{ date_style_by_file(source('raw', 'actions_log'), 'sent_at') }}
),

responded_style as (
    {{ date_style_by_file(source('raw', 'actions_log'), 'responded_at') }}
),

phones as (
    select * from {{ source('normalized', 'phone_lookup') }}
),

emails as (
    select * from {{ source('normalized', 'email_lookup') }}
),

typed as (
    select
        trim(a.action_id) as action_id,
        {{ clean_text('a.customer_id') }} as customer_id,
        {{ contact_id_key('a.contact_id') }} as contact_id,
        case when e.is_valid then lower(e.email) end as email,
        case when p.is_valid then p.e164 end as phone_e164,
        lower({{ clean_text('a.action') }}) as action,
        {{ parse_timestamp_styled('a.sent_at', 'ss.month_first') }} as sent_at,
        lower({{ clean_text('a.channel') }}) as channel,
        lower({{ clean_text('a.response') }}) as response_raw,
        {{ parse_timestamp_styled('a.responded_at', 'rs.month_first') }} as responded_at,
        a._source_file,
        a._line
    from actions as a
    left join phones as p on p.raw = a.phone
    left join emails as e on e.raw = a.email
    left join sent_style as ss on ss._source_file = a._source_file
    left join responded_style as rs on rs._source_file = a._source_file
)

select
    action_id,
    customer_id,
    contact_id,
    email,
    phone_e164,
    action,
    sent_at,
    channel,
    case
        when response_raw is null or response_raw in ('none', 'no', 'нет', '-', 'без ответа', 'без отклика') then 'none'
        when response_raw in ('opened', 'open', 'открыл', 'открыто', 'открыла') then 'opened'
        when response_raw in ('clicked', 'click', 'кликнул', 'кликнула', 'клик', 'переход') then 'clicked'
        when response_raw in ('replied', 'reply', 'ответил', 'ответила', 'ответ') then 'replied'
        when response_raw in ('bought', 'purchase', 'purchased', 'купил', 'купила', 'покупка') then 'bought'
        else response_raw
    end as response,
    responded_at,
    _source_file,
    _line
from typed
