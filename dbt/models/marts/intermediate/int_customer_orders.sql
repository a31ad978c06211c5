{{ config(schema='staging') }}
-- Orders up to the as-of date, each attached to its customer through core.customer_identity
-- ('order', order_id). An order id landed twice is one order (the first landed row wins, as in
-- int_identity_records). net_amount: completed = +amount, returned = -|amount|, else 0.
with identity as (
    select source_record_id, customer_id
    from {{ source('core', 'customer_identity') }}
    where source = 'order'
),

orders as (
    select *
    from {{ ref('stg_orders') }}
    where order_id is not null
      and order_date is not null
      and order_date <= {{ as_of_date() }}
    qualify row_number() over (partition by order_id order by _source_file, _line) = 1
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
    case
        when o.status_class = 'completed' then coalesce(o.amount, 0)
        when o.status_class = 'returned' then -abs(coalesce(o.amount, 0))
        else 0
    end as net_amount
from orders as o
inner join identity as i on i.source_record_id = o.order_id
