-- One row per landed order, typed. The status class comes from the editable seed
-- `order_status_map`; an unknown or empty status counts as completed unless the amount is negative.
with orders as (
    select * from {{ source('raw', 'crm_orders') }}
),

date_style as (
    {{ date_style_by_file(source('raw', 'crm_orders'), 'order_date') }}
),

status_map as (
    select lower(trim(status_raw)) as status_key, status_class from {{ ref('order_status_map') }}
),

typed as (
    select
        trim(o.order_id) as order_id,
        {{ clean_text('o.contact_id') }} as contact_id,
        {{ parse_timestamp_styled('o.order_date', 'ds.month_first') }} as order_ts,
        {{ clean_text('o.order_date') }} as order_date_raw,
        -- an export of line items may carry price and quantity but no amount; money is
        -- DECIMAL(18, 2) from here on (macros/money.sql)
        {{ money("coalesce(" ~ parse_number('o.amount') ~ ", " ~ parse_number('o.quantity') ~ " * "
                 ~ parse_number('o.unit_price') ~ ")") }} as amount,
        {{ money(parse_number('o.unit_price')) }} as unit_price,
        {{ parse_number('o.quantity') }} as quantity,
        {{ clean_text('o.status') }} as status,
        {{ clean_text('o.category') }} as category,
        {{ parse_number('replace(o.discount, \'%\', \'\')') }} as discount,
        o._source_file,
        o._line
    from orders as o
    left join date_style as ds on ds._source_file = o._source_file
)

select
    t.order_id,
    t.contact_id,
    cast(t.order_ts as date) as order_date,
    t.order_ts,
    t.order_date_raw,
    t.amount,
    t.quantity,
    t.unit_price,
    t.status,
    coalesce(
        m.status_class,
        case when t.amount < 0 then 'returned' else 'completed' end
    ) as status_class,
    t.category,
    t.discount,
    t._source_file,
    t._line
from typed as t
left join status_map as m on m.status_key = lower(t.status)
