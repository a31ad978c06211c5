-- Every action list in one table, one row per (list_name, customer_id) as of the as-of date:
-- should_have_bought, reactivation, near_death, goodbye, hot_trigger, toxic_review (the list
-- marts mart_list_*; the suppressed customers of mart_suppression_list are on none of them).
-- is_primary marks the one list per customer to act on first today, by list priority:
-- toxic_review, goodbye, near_death, hot_trigger, reactivation, should_have_bought.
with lists as (
    select *, 1 as list_priority from {{ ref('mart_list_toxic_review') }}
    {{ union_all_by_name() }} select *, 2 as list_priority from {{ ref('mart_list_goodbye') }}
    {{ union_all_by_name() }} select *, 3 as list_priority from {{ ref('mart_list_near_death') }}
    {{ union_all_by_name() }} select *, 4 as list_priority from {{ ref('mart_list_hot_triggers') }}
    {{ union_all_by_name() }} select *, 5 as list_priority from {{ ref('mart_list_reactivation') }}
    {{ union_all_by_name() }} select *, 6 as list_priority from {{ ref('mart_list_should_have_bought') }}
)

select
    *,
    row_number() over (partition by customer_id order by list_priority, list_name) = 1 as is_primary
from lists
