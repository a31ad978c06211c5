-- The RFCM alarm mart has exactly one row.
select count(*) as n from {{ ref('mart_rfcm_alarm') }} having count(*) <> 1
