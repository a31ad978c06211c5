-- Competitor names the base mentions that are not in config/signals.yaml `competitors`, for review:
-- found by construction in the customers' messages (ml.message_signals.competitor_new_names:
-- «у Контура дешевле», "we're piloting Attio"), inbound or undirected (tickets, calls) up to the
-- as-of date. A name equal to the mentioning customer's own company (the golden record's company,
-- quotes and legal form ignored) is dropped: a customer naming itself is no competitor.
-- One row per name, case-insensitive; add the good ones to `competitors` as canonical names.
with messages as (
    select message_id, customer_id, sent_at, competitor_new_names
    from {{ optional_source('ml', 'message_signals', [('message_id', 'varchar'), ('customer_id', 'varchar'), ('sent_at', 'timestamp'), ('direction', 'varchar'), ('competitor_new_names', 'varchar')]) }}
    where coalesce(competitor_new_names, '') <> ''
      and customer_id is not null
      and coalesce(direction, 'inbound') <> 'outbound'
      and cast(sent_at as date) <= {{ as_of_date() }}
),

mentions as (
    select m.message_id, m.customer_id, m.sent_at, trim(n.name) as name
    from messages as m{{ split_to_rows('m.competitor_new_names', ';', 'n', 'name') }}
    where trim(n.name) <> ''
),

own as (
    select distinct
        customer_id,
        trim({{ replace_all(replace_all('lower(company)', '(^|\\s)(ооо|оао|зао|пао|ао|ип|llc|ltd|inc|gmbh)(\\s|$)', ' '), "[\"«»'']", '') }}) as company_key
    from {{ source('core', 'customers') }}
    where company is not null and customer_id is not null
),

kept as (
    -- how often each exact spelling is mentioned: the name shown is the most frequent spelling of
    -- the key, the lowest of equally frequent ones (deterministic, the same on DuckDB and Spark)
    select mt.*, count(*) over (partition by mt.name) as spelling_mentions
    from mentions as mt
    where not exists (
        select 1 from own as o
        where o.customer_id = mt.customer_id and o.company_key = lower(mt.name)
    )
)

select
    lower(name) as name_key,
    {{ arg_min('name', '(-spelling_mentions, name)') }} as name,
    count(distinct customer_id) as customers,
    count(*) as mentions,
    min(sent_at) as first_seen_at,
    max(sent_at) as last_seen_at,
    {{ arg_min('message_id', 'sent_at') }} as example_message_id,
    {{ as_of_date() }} as as_of
from kept
group by lower(name)
order by customers desc, mentions desc, name_key
