{#- Customer-analytics configuration (issue 6): every threshold is a dbt var with its default here,
    so dbt_project.yml stays untouched. `config/analytics.yaml` carries the same defaults; the
    pipeline passes its values through `--vars`. Use `{{ cfg('name') }}` in models. -#}

{% macro analytics_defaults() -%}
    {{ return({
        'rfm_score_mode': 'quantile',
        'rfm_recency_thresholds': [30, 90, 180, 365],
        'rfm_frequency_thresholds': [1, 2, 4, 8],
        'rfm_monetary_thresholds': [5000, 15000, 40000, 100000],
        'rfcm_rate_window_days': 365,
        'rfcm_cr_score_mode': 'fixed',
        'rfcm_complaint_thresholds': [0, 0.1, 0.2, 0.34],
        'rfcm_resource_thresholds': [5, 15, 30, 60],
        'rfcm_email_minutes_outbound': 5,
        'rfcm_email_minutes_inbound': 3,
        'rfcm_returns_are_complaints': true,
        'rfcm_alarm_share': 0.10,
        'rfcm_alarm_score_below': 2,
        'rfcm_value_high_min': 4,
        'rfcm_value_low_max': 2,
        'rfcm_toxic_score_max': 2,
        'cycle_shrinkage_k': 2,
        'cycle_min_category_gaps': 5,
        'cycle_default_days': 90,
        'cycle_min_days': 1,
        'cycle_tolerance': 0.30,
        'cycle_near_death_cycles': 2,
        'dead_after_days': 730,
        'dead_after_cycles': 4,
        'dead_silence_days': 180,
        'hot_window_days': 30,
        'trigger_product_views_min': 3,
        'value_tier_cuts': [0.5, 0.8, 0.95],
        'action_period_days': 30
    }) }}
{%- endmacro %}

{#- The value of an analytics var: `--vars` wins, else the default above. -#}
{% macro cfg(name) -%}
    {%- set defaults = analytics_defaults() -%}
    {%- if name not in defaults -%}
        {{ exceptions.raise_compiler_error("Unknown analytics config var: " ~ name) }}
    {%- endif -%}
    {{ return(var(name, defaults[name])) }}
{%- endmacro %}

{#- A 1–5 score.
    mode 'quantile': ntile(5) over (value, tiebreak) — the stable tie rule: equal values are split by
      customer_id, so the same inputs always give the same scores (5 = best).
    mode 'fixed': thresholds t1<t2<t3<t4; higher value = higher score (value <= t1 -> 1, > t4 -> 5),
      or with reverse=true value <= t1 -> 5, > t4 -> 1 (the RFCM C and R scale).
    higher_is_better=false flips the direction for recency (fewer days = better). -#}
{% macro score_5(value, mode, thresholds, higher_is_better=true, tiebreak='customer_id', partition_filter=none) -%}
    {%- if mode == 'quantile' -%}
        {%- if higher_is_better -%}
            ntile(5) over (order by {{ value }} asc, {{ tiebreak }} asc)
        {%- else -%}
            ntile(5) over (order by {{ value }} desc, {{ tiebreak }} desc)
        {%- endif -%}
    {%- elif mode == 'fixed' -%}
        {%- if thresholds | length != 4 -%}
            {{ exceptions.raise_compiler_error("score thresholds need exactly 4 ascending values, got " ~ thresholds) }}
        {%- endif -%}
        {%- if higher_is_better -%}
            (1 {% for t in thresholds %} + case when {{ value }} > {{ t }} then 1 else 0 end{% endfor %})
        {%- else -%}
            (5 {% for t in thresholds %} - case when {{ value }} > {{ t }} then 1 else 0 end{% endfor %})
        {%- endif -%}
    {%- else -%}
        {{ exceptions.raise_compiler_error("score mode must be 'quantile' or 'fixed', got " ~ mode) }}
    {%- endif -%}
{%- endmacro %}

{#- An optional upstream table written by a Python asset (ml.*): the source relation when it exists
    in the warehouse, else an empty typed stand-in, so customer_360 builds before the ML assets ever
    ran. `source()` is always called so lineage (and the Dagster dependency) stays in the graph.
    columns: list of (name, sql type). -#}
{% macro optional_source(source_name, table_name, columns) -%}
    {%- set src = source(source_name, table_name) -%}
    {%- set rel = none -%}
    {%- if execute -%}
        {%- set rel = adapter.get_relation(database=src.database, schema=src.schema, identifier=src.identifier) -%}
    {%- endif -%}
    {%- if rel is not none -%}
        (select {% for c in columns %}cast({{ c[0] }} as {{ c[1] }}) as {{ c[0] }}{% if not loop.last %}, {% endif %}{% endfor %} from {{ src }})
    {%- else -%}
        (select {% for c in columns %}cast(null as {{ c[1] }}) as {{ c[0] }}{% if not loop.last %}, {% endif %}{% endfor %} where 1 = 0)
    {%- endif -%}
{%- endmacro %}

{#- A SQL list literal from a Jinja list of strings. -#}
{% macro sql_string_list(values) -%}
    ({% for v in values %}'{{ v }}'{% if not loop.last %}, {% endif %}{% endfor %})
{%- endmacro %}
