-- The RFCM alarm as one row: "more than 10 % of customers with C and R scores below 2
-- is a reason for alarm". Denominator = every customer of core.customers. When it fires, the advice
-- is a soft start: redistribute manager resources before cutting anyone off.
with rfcm as (
    select * from {{ ref('mart_customer_rfcm') }}
),

agg as (
    select
        count(*) as customers,
        count(*) filter (where is_low_c_and_r) as customers_low_c_and_r,
        count(*) filter (where c_score < {{ cfg('rfcm_alarm_score_below') }}) as customers_low_c,
        count(*) filter (where resource_score < {{ cfg('rfcm_alarm_score_below') }}) as customers_low_r
    from rfcm
)

select
    {{ as_of_date() }} as as_of,
    customers,
    customers_low_c_and_r,
    customers_low_c,
    customers_low_r,
    case when customers > 0 then {{ divide('customers_low_c_and_r * 1.0', 'customers') }} else 0 end as share_low_c_and_r,
    case when customers > 0 then {{ divide('customers_low_c * 1.0', 'customers') }} else 0 end as share_low_c,
    case when customers > 0 then {{ divide('customers_low_r * 1.0', 'customers') }} else 0 end as share_low_r,
    cast({{ cfg('rfcm_alarm_share') }} as double) as threshold_share,
    {{ cfg('rfcm_alarm_score_below') }} as score_below,
    coalesce(customers > 0 and {{ divide('customers_low_c_and_r * 1.0', 'customers') }} > {{ cfg('rfcm_alarm_share') }}, false) as is_alarm,
    case
        when customers > 0 and {{ divide('customers_low_c_and_r * 1.0', 'customers') }} > {{ cfg('rfcm_alarm_share') }}
            then 'Тревога: доля клиентов с C и R ниже порога превышает норму. Начните с мягкой стратегии — перераспределения ресурсов, а не с отключения.'
        else 'Норма'
    end as message_ru
from agg
