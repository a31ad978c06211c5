-- Orders up to the as-of date, each attached to its customer through core.customer_identity
-- ('order', order_id). An order id landed twice is one order (the first landed row wins, as in
-- int_identity_records); rows of one file sharing an order id are line items and are summed.
-- net_amount: completed = +amount, returned = -|amount|, else 0.
with identity as (
    select source_record_id, customer_id
    from {{ source('core', 'customer_identity') }}
    where source = 'order'
),

orders_in_window as (
    select *
    from {{ ref('stg_orders') }}
    where order_id is not null
      and order_date is not null
      and order_date <= {{ as_of_date() }}
),

-- the first file an order id landed in is its version (an order exported twice counts once) ...
first_file as (
    -- ties (the id on the same line of two files) go to the first file by name: a total order
    select order_id, {{ arg_min('_source_file', '(_line, _source_file)') }} as _source_file
    from orders_in_window
    group by order_id
),

-- ... and the rows of that file sharing the id are its line items, summed
orders as (
    select
        o.order_id,
        min(o.order_date) as order_date,
        min(o.order_ts) as order_ts,
        sum(o.amount) as amount,
        sum(o.quantity) as quantity,
        {{ arg_min('o.status_class', 'o._line') }} as status_class,
        -- the category of the biggest line item; equal amounts: the first line
        {{ arg_max('o.category', '(coalesce(o.amount, 0), -o._line)') }} as category,
        max(o.discount) as discount,
        count(*) as line_count
    from orders_in_window as o
    inner join first_file as f on f.order_id = o.order_id and f._source_file = o._source_file
    group by o.order_id
)

select
    i.customer_id,
    o.order_id,
    o.order_date,
    o.order_ts,
    coalesce(o.amount, 0) as amount,
    o.quantity,
    o.status_class,
    coalesce(o.category, '(none)') as category,
    o.discount,
    o.line_count,
    case
        when o.status_class = 'completed' then coalesce(o.amount, 0)
        when o.status_class = 'returned' then -abs(coalesce(o.amount, 0))
        else 0
    end as net_amount
from orders as o
inner join identity as i on i.source_record_id = o.order_id
