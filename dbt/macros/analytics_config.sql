{#- Customer-analytics and data-quality thresholds are dbt vars whose only source is
    config/analytics.yaml (a user's CLIENTPULSE_CONFIG_DIR copy merged over it). Every dbt command
    gets them with `--vars "$(python -m clientpulse_config.dbt_vars)"`: the pipeline, `make install`
    and the manifest refresh do. Use `{{ cfg('name') }}` in models. -#}

{#- The value of an analytics var; a var that was not passed stops the compile, naming its source. -#}
{% macro cfg(name) -%}
    {%- set value = var(name, none) -%}
    {%- if value is none -%}
        {{ exceptions.raise_compiler_error(
            "dbt var '" ~ name ~ "' is not set: it comes from config/analytics.yaml, passed with "
            ~ "--vars \"$(python -m clientpulse_config.dbt_vars)\" (add the key to config/analytics.yaml "
            ~ "if it is new)") }}
    {%- endif -%}
    {{ return(value) }}
{%- endmacro %}

{#- A 1–5 score.
    mode 'quantile': ntile(5) over (value, tiebreak) — the stable tie rule: equal values are split by
      customer_id, so the same inputs always give the same scores (5 = best).
    mode 'fixed': thresholds t1<t2<t3<t4; higher value = higher score (value <= t1 -> 1, > t4 -> 5),
      or with higher_is_better=false value <= t1 -> 5, > t4 -> 1 (recency: fewer days = better;
      the RFCM C and R scale).
    higher_is_better=false also reverses the quantile order (the largest value gets 1). -#}
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
    columns: list of (name, sql type; varchar is the adapter's text type). -#}
{% macro optional_source(source_name, table_name, columns) -%}
    {%- set src = source(source_name, table_name) -%}
    {%- set rel = none -%}
    {%- if execute -%}
        {%- set rel = adapter.get_relation(database=src.database, schema=src.schema, identifier=src.identifier) -%}
    {%- endif -%}
    {%- if rel is not none -%}
        (select {% for c in columns %}cast({{ c[0] }} as {{ sql_type(c[1]) }}) as {{ c[0] }}{% if not loop.last %}, {% endif %}{% endfor %} from {{ src }})
    {%- else -%}
        (select {% for c in columns %}cast(null as {{ sql_type(c[1]) }}) as {{ c[0] }}{% if not loop.last %}, {% endif %}{% endfor %} where 1 = 0)
    {%- endif -%}
{%- endmacro %}

{#- A SQL list literal from a Jinja list of strings. -#}
{% macro sql_string_list(values) -%}
    ({% for v in values %}'{{ v }}'{% if not loop.last %}, {% endif %}{% endfor %})
{%- endmacro %}

{#- A column type of optional_source: varchar is the adapter's text type (type_text). -#}
{% macro sql_type(name) -%}
    {{- type_text() if name == 'varchar' else name -}}
{%- endmacro %}
