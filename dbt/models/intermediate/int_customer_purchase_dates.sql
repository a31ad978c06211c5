-- One row per customer and distinct day with a completed purchase (up to the as-of date), with
-- the gap in days since the customer's previous purchase day: the raw material of the purchase
-- cycle. Several orders on one day are one purchase occasion.
with completed as (
    select customer_id, order_date, count(*) as orders, sum(amount) as amount
    from {{ ref('int_customer_orders') }}
    where status_class = 'completed'
    group by customer_id, order_date
)

select
    customer_id,
    order_date as purchase_date,
    orders,
    amount,
    row_number() over (partition by customer_id order by order_date) as purchase_number,
    {{ diff_days('lag(order_date) over (partition by customer_id order by order_date)', 'order_date') }} as gap_days
from completed
