-- One risk verdict per customer of core.customers as of the run's date (docs/methods.md, Risk
-- verdict). Built in the serving step, after the ML scores.
--
-- Evidence -> the stage it implies (rank 0 active, 1 at_risk, 2 potential_churn, 3 churned):
--   lifecycle      the lifecycle state through verdict.lifecycle_stage (the only source of churned)
--   one purchase   a single-purchase buyer without a second one after verdict.one_time_after_days
--   churn          churn_probability >= verdict.churn_at_risk / churn_potential_churn
--   (purchase lapse - lifecycle lateness and churn probability - implies at most
--   verdict.engaged_cap_stage when the customer initiated at least verdict.engaged_min_contacts
--   contacts in the last verdict.engaged_within_days: repeated fresh engagement outweighs a late
--   purchase)
--   health         the band through verdict.health_band_stage, each fired factor through
--                  verdict.factor_stage; a factor inherits its band's stage (it is what made the band)
--   toxicity       toxicity_probability >= verdict.toxicity_at_risk -> at_risk
-- risk_stage = the worst stage of the customer's evidence (active when none), NULL for never-buyers.
-- Every piece of evidence is also a reason: weight = its stage rank + its strength in [0, 1), the
-- reasons sorted by weight; the first is the dominant reason, whose action (seed verdict_actions,
-- by action level) is the one recommended action.
-- Value: ml.customer_btyd value_if_retained (Gamma-Gamma x BG/NBD, else past revenue per month);
-- value tier = its cumulative share among buyers cut at value_tier_cuts. Action level from the
-- seed action_level_matrix (stage x tier), raised to verdict.red_flag_min_level for a red flag
-- (health critical, an ultimatum, a data-export request).
{%- set v = cfg('verdict') %}
{%- set cuts = cfg('value_tier_cuts') %}
{%- set stage_rank = {'active': 0, 'at_risk': 1, 'potential_churn': 2, 'churned': 3} %}
with customers as (
    select customer_id, full_name, manager, email, phone_e164, has_valid_email, has_valid_phone
    from {{ source('core', 'customers') }}
),

manager_spellings as (
    select raw, max(manager) as manager
    from {{ optional_source('normalized', 'manager_lookup', [('raw', 'varchar'), ('manager', 'varchar')]) }}
    group by raw
),

manager_aliases as (
    select trim(manager_raw) as manager_raw, max(trim(manager)) as manager
    from {{ ref('dq_manager_aliases') }}
    group by 1
),

lifecycle as (select * from {{ ref('mart_customer_lifecycle') }}),

-- customer-initiated contacts (inbound mail / call / ticket, opens, clicks, visits, ...) in the
-- engagement window
engagement as (
    select customer_id, count(*) as contacts_recent
    from {{ ref('int_customer_interactions') }}
    where is_customer_initiated
      and occurred_date > {{ as_of_date() }} - {{ v['engaged_within_days'] }}
      and occurred_date <= {{ as_of_date() }}
    group by customer_id
),
rfm as (select customer_id, frequency, monetary from {{ ref('mart_customer_rfm') }}),

churn as (
    select * from {{ optional_source('ml', 'churn_scores', [('customer_id', 'varchar'), ('churn_probability', 'double')]) }}
),

toxicity as (
    select * from {{ optional_source('ml', 'toxicity_scores', [('customer_id', 'varchar'), ('toxicity_probability', 'double')]) }}
),

health as (
    select * from {{ optional_source('ml', 'health_scores', [('customer_id', 'varchar'), ('health_score', 'double'), ('health_band', 'varchar')]) }}
),

factors as (
    select * from {{ optional_source('ml', 'health_factors', [('customer_id', 'varchar'), ('factor', 'varchar'), ('points', 'double'), ('reason', 'varchar')]) }}
),

btyd as (
    select * from {{ optional_source('ml', 'customer_btyd', [('customer_id', 'varchar'), ('p_alive', 'double'), ('expected_value', 'double'), ('value_if_retained', 'double'), ('value_source', 'varchar')]) }}
),

base as (
    select
        c.customer_id,
        c.full_name,
        coalesce(ma.manager, ms.manager, nullif(trim(c.manager), '')) as manager,
        l.lifecycle_state,
        l.days_since_last_purchase,
        l.cycle_days,
        l.triggers,
        l.has_unsubscribed,
        l.purchase_days,
        coalesce(g.contacts_recent, 0) >= {{ v['engaged_min_contacts'] }} as is_engaged,
        coalesce(g.contacts_recent, 0) as contacts_recent,
        coalesce(r.frequency, 0) > 0 as is_buyer,
        r.monetary,
        ch.churn_probability,
        t.toxicity_probability,
        h.health_score,
        h.health_band,
        b.expected_value,
        b.value_if_retained,
        b.value_source,
        c.email,
        c.phone_e164,
        c.has_valid_email,
        c.has_valid_phone,
        case l.lifecycle_state {% for state, s in v['lifecycle_stage'].items() %}when '{{ state }}' then {{ stage_rank[s] }} {% endfor %}else 0 end as lifecycle_rank_raw,
        case h.health_band {% for band, s in v['health_band_stage'].items() %}when '{{ band }}' then {{ stage_rank[s] }} {% endfor %}else 0 end as band_rank
    from customers as c
    left join manager_aliases as ma on ma.manager_raw = trim(c.manager)
    left join manager_spellings as ms on ms.raw = c.manager
    left join lifecycle as l on l.customer_id = c.customer_id
    left join engagement as g on g.customer_id = c.customer_id
    left join rfm as r on r.customer_id = c.customer_id
    left join churn as ch on ch.customer_id = c.customer_id
    left join toxicity as t on t.customer_id = c.customer_id
    left join health as h on h.customer_id = c.customer_id
    left join btyd as b on b.customer_id = c.customer_id
),

-- purchase-lapse evidence of a freshly engaged customer is capped (verdict.engaged_cap_stage)
lapse as (
    select
        *,
        case when is_engaged then least(lifecycle_rank_raw, {{ stage_rank[v['engaged_cap_stage']] }}) else lifecycle_rank_raw end as lifecycle_rank,
        case when is_engaged then {{ stage_rank[v['engaged_cap_stage']] }} else 2 end as lapse_cap
    from base
),

-- one row per piece of evidence: (customer, code, stage rank it implies, weight, readable reason)
evidence as (
    -- lifecycle: late buyers (missed cycles), the hot-inactive (late, but just did something), the dead
    select
        customer_id,
        case when lifecycle_state = 'dead' then 'dead'
             when lifecycle_state = 'hot_inactive' or is_engaged then 'hot_trigger'
             else 'missed_cycles' end as code,
        lifecycle_rank as stage_rank,
        lifecycle_rank + least(days_since_last_purchase / cycle_days / {{ cfg('dead_after_cycles') }} / 2, 0.99) as weight,
        case
            when lifecycle_state = 'dead'
                then 'не покупает ' || days_since_last_purchase || ' дн. и не выходит на связь'
            when floor(days_since_last_purchase / cycle_days) >= 1
                then 'пропустил ' || cast(floor(days_since_last_purchase / cycle_days) as integer) || ' '
                     || case when floor(days_since_last_purchase / cycle_days) % 10 = 1 and floor(days_since_last_purchase / cycle_days) % 100 != 11 then 'цикл'
                             when floor(days_since_last_purchase / cycle_days) % 10 between 2 and 4
                                  and floor(days_since_last_purchase / cycle_days) % 100 not between 12 and 14 then 'цикла'
                             else 'циклов' end
                     || ' покупки (последняя ' || days_since_last_purchase || ' дн. назад, обычно раз в ' || cast(round(cycle_days) as integer) || ' дн.)'
            else 'опаздывает с покупкой: последняя ' || days_since_last_purchase || ' дн. назад, обычно раз в ' || cast(round(cycle_days) as integer) || ' дн.'
        end
        || case when {{ list_size('triggers') }} > 0
                then ', но ' || {{ join_mapped('triggers', 't', "case t
                        when 'cart_abandon' then 'бросил корзину'
                        when 'complaint' then 'жаловался'
                        when 'product_views' then 'смотрел товары'
                        when 'support_contact' then 'обращался в поддержку'
                        else 'открывал письма или заходил на сайт' end", ', ') }}
                when is_engaged then ', но выходил на связь ' || contacts_recent || ' раз за ' || {{ v['engaged_within_days'] }} || ' дн.'
                else '' end as reason_ru
    from lapse
    where is_buyer and lifecycle_state not in ('active', 'no_purchases')

    union all
    -- one purchase and no second one after one_time_after_days (the lifecycle's own reason covers
    -- the late ones)
    select
        customer_id,
        'no_second_purchase',
        1,
        1 + least({{ divide('days_since_last_purchase', '365.0') }}, 0.99),
        'одна покупка ' || days_since_last_purchase || ' дн. назад, второй не было'
    from lapse
    where is_buyer and purchase_days = 1 and days_since_last_purchase > {{ v['one_time_after_days'] }}
      and lifecycle_state in ('active', 'hot_inactive')

    union all
    select
        customer_id,
        'churn_probability',
        least(case when churn_probability >= {{ v['churn_potential_churn'] }} then 2 else 1 end, lapse_cap),
        least(case when churn_probability >= {{ v['churn_potential_churn'] }} then 2 else 1 end, lapse_cap) + least(churn_probability, 0.99),
        'вероятность ухода ' || cast(round(100 * churn_probability) as integer) || ' %'
    from lapse
    where is_buyer and churn_probability >= {{ v['churn_at_risk'] }}

    union all
    select
        f.customer_id,
        f.factor,
        greatest(b.band_rank, case f.factor {% for code, s in v['factor_stage'].items() %}when '{{ code }}' then {{ stage_rank[s] }} {% endfor %}else 0 end),
        greatest(b.band_rank, case f.factor {% for code, s in v['factor_stage'].items() %}when '{{ code }}' then {{ stage_rank[s] }} {% endfor %}else 0 end)
            + least(f.points / 30.0, 0.99),
        f.reason
    from factors as f
    inner join base as b on b.customer_id = f.customer_id

    union all
    -- a low health band without any factor row (should not happen): the band itself is the reason
    select
        b.customer_id,
        'health_low',
        b.band_rank,
        b.band_rank + least((100 - b.health_score) / 100.0, 0.99),
        'здоровье ' || cast(round(b.health_score) as integer) || ' из 100'
    from base as b
    where b.band_rank > 0 and not exists (select 1 from factors as f where f.customer_id = b.customer_id)

    union all
    select
        customer_id,
        'toxicity',
        1,
        1 + least(toxicity_probability, 0.99) / 2,
        'риск токсичности ' || cast(round(100 * toxicity_probability) as integer) || ' % (жалобы и время менеджера)'
    from base
    where toxicity_probability >= {{ v['toxicity_at_risk'] }}
),

ranked_evidence as (
    select
        *,
        row_number() over (partition by customer_id order by weight desc, code) as reason_rank
    from evidence
),

per_customer as (
    select
        customer_id,
        max(stage_rank) as evidence_rank,
        {{ ordered_list('reason_ru', 'reason_rank', where='reason_rank <= ' ~ v['max_reasons']) }} as reasons,
        {{ ordered_list('code', 'reason_rank', where='reason_rank <= ' ~ v['max_reasons']) }} as reason_codes,
        min(code) filter (where reason_rank = 1) as dominant_reason,
        max(stage_rank) filter (where reason_rank = 1) as dominant_rank,
        bool_or(code in ('ultimatum', 'data_export')) as has_red_flag_factor
    from ranked_evidence
    group by customer_id
),

staged as (
    select
        b.*,
        coalesce(e.evidence_rank, 0) as stage_rank_final,
        coalesce(e.reasons, {{ empty_list() }}) as reasons,
        coalesce(e.reason_codes, {{ empty_list() }}) as reason_codes,
        e.dominant_reason,
        -- the reason whose action is recommended: the dominant one when it raised the stage (or is a
        -- fresh trigger, an opportunity), else the level's generic action ('*')
        case when e.dominant_rank > 0 or e.dominant_reason = 'hot_trigger' then e.dominant_reason else '*' end as action_reason,
        coalesce(e.has_red_flag_factor, false) or b.health_band = 'critical' as is_red_flag
    from base as b
    left join per_customer as e on e.customer_id = b.customer_id
),

tiers as (
    select
        customer_id,
        cume_dist() over (order by coalesce(value_if_retained, monetary)) as value_cume_share
    from staged
    where is_buyer
),

positioned as (
    select
        s.*,
        case when s.is_buyer then
            case s.stage_rank_final {% for st, r in stage_rank.items() %}when {{ r }} then '{{ st }}' {% endfor %}end
        end as risk_stage,
        case
            when t.value_cume_share <= {{ cuts[0] }} then 'bronze'
            when t.value_cume_share <= {{ cuts[1] }} then 'silver'
            when t.value_cume_share <= {{ cuts[2] }} then 'gold'
            when t.value_cume_share is not null then 'platinum'
        end as value_tier
    from staged as s
    left join tiers as t on t.customer_id = s.customer_id
),

levelled as (
    select
        p.*,
        case when p.is_red_flag and m.action_level is not null then greatest(m.action_level, {{ v['red_flag_min_level'] }})
             else m.action_level end as action_level
    from positioned as p
    left join {{ ref('action_level_matrix') }} as m on m.risk_stage = p.risk_stage and m.value_tier = p.value_tier
),

-- never-buyers have no level; one with a red flag gets its reason's action at red_flag_min_level
actions as (
    select
        l.customer_id,
        coalesce(
            (select a.action_ru from {{ ref('verdict_actions') }} as a
             where a.reason_code = l.action_reason and x.level between a.level_from and a.level_to),
            (select a.action_ru from {{ ref('verdict_actions') }} as a
             where a.reason_code = '*' and x.level between a.level_from and a.level_to)
        ) as recommended_action
    from levelled as l
    cross join lateral (
        select case when l.action_level is not null then l.action_level
                    when l.is_red_flag then {{ v['red_flag_min_level'] }} end as level
    ) as x
    where x.level is not null
),

lead_action as (
    select lifecycle_action_ru from {{ ref('lifecycle_state_map') }} where lifecycle_state = 'no_purchases'
),

contacts as (
    select
        customer_id,
        case when has_valid_email and email is not null and not coalesce(has_unsubscribed, false) then email end as email_ok,
        case when has_valid_phone and phone_e164 is not null then phone_e164 end as phone_ok
    from base
)

select
    l.customer_id,
    {{ as_of_date() }} as as_of,
    l.full_name,
    l.manager,
    case
        when coalesce(l.action_level, 0) >= {{ v['phone_from_level'] }} and k.phone_ok is not null then 'phone'
        when k.email_ok is not null then 'email'
        when k.phone_ok is not null then 'phone'
    end as contact_channel,
    case
        when coalesce(l.action_level, 0) >= {{ v['phone_from_level'] }} and k.phone_ok is not null then k.phone_ok
        else coalesce(k.email_ok, k.phone_ok)
    end as contact,
    l.lifecycle_state,
    l.risk_stage,
    case when l.is_buyer then
        round(greatest(coalesce(l.churn_probability, 0), coalesce((100 - l.health_score) / 100.0, 0), {{ divide('l.stage_rank_final', '3.0') }}), 4)
    end as risk_score,
    l.value_tier,
    l.expected_value,
    case when l.is_buyer then coalesce(l.value_source, 'past_revenue') end as value_source,
    case when l.is_buyer then
        round(coalesce(l.value_if_retained, 0)
              * greatest(coalesce(l.churn_probability, 0), coalesce((100 - l.health_score) / 100.0, 0), {{ divide('l.stage_rank_final', '3.0') }}), 2)
    end as value_at_risk,
    l.action_level,
    al.action_color,
    coalesce(a.recommended_action, (select lifecycle_action_ru from lead_action)) as recommended_action,
    l.dominant_reason,
    l.reasons,
    {{ list_join('l.reasons', '; ') }} as reasons_text,
    l.reason_codes,
    l.health_score,
    l.health_band,
    l.churn_probability,
    l.days_since_last_purchase,
    l.cycle_days
from levelled as l
left join actions as a on a.customer_id = l.customer_id
left join {{ ref('action_levels') }} as al on al.action_level = l.action_level
left join contacts as k on k.customer_id = l.customer_id
