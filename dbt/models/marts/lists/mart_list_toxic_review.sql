-- Toxic review: customers a manager should look at before any change of terms, never an
-- automatic disconnect. Flagged by the RFCM toxicity level (C and R scores both low) or
-- ml.toxicity_scores >= lists_toxic_probability_min, and only with enough evidence: a tenure of
-- at least lists_toxic_min_tenure_days and at least lists_toxic_min_complaints complaints in the
-- RFCM window (a newcomer's single complaint is a monthly rate over a few weeks, not a pattern).
with rfcm as (select * from {{ ref('mart_customer_rfcm') }}),

toxicity as (
    select * from {{ optional_source('ml', 'toxicity_scores', [('customer_id', 'varchar'), ('toxicity_probability', 'double')]) }}
),

rows as (
    select
        'toxic_review' as list_name,
        r.customer_id,
        cast(null as integer) as step,
        'toxic_review' as step_code,
        {{ as_of_date() }} as due_date,
        'Жалоб за ' || {{ cfg('rfcm_rate_window_days') }} || ' дн.: ' || cast(r.complaints_window as integer)
            || ', время менеджера ' || cast(round(r.manager_minutes_per_month) as integer) || ' мин/мес, с нами '
            || r.tenure_days || ' дн.'
            || case when r.toxicity_level = 'toxic' then '; C и R низкие (RFCM ' || coalesce(r.rfcm_code, 'без покупок') || ')' else '' end
            || coalesce('; P(токсичность) ' || cast(round(t.toxicity_probability, 2) as {{ type_text() }}), '') as reason,
        'Разбор менеджером до решения: ' || coalesce(r.rfcm_strategy_ru, 'решить, как обслуживать дальше') as action_ru
    from rfcm as r
    left join toxicity as t on t.customer_id = r.customer_id
    where (r.toxicity_level = 'toxic' or t.toxicity_probability >= {{ cfg('lists_toxic_probability_min') }})
      and r.tenure_days >= {{ cfg('lists_toxic_min_tenure_days') }}
      and r.complaints_window >= {{ cfg('lists_toxic_min_complaints') }}
)

{{ list_output('rows') }}
