{#- Aggregates and select lists where DuckDB and Spark SQL differ (default__ is DuckDB). -#}

{#- ``arg`` of the row with the smallest / largest ``val`` (a tuple orders field by field on both:
    a DuckDB row, a Spark struct). DuckDB skips rows whose arg is null; Spark's min_by / max_by
    would return it, so the val of those rows is made null there. -#}
{% macro arg_min(arg, val) -%}
    {{ return(adapter.dispatch('arg_min', 'clientpulse')(arg, val)) }}
{%- endmacro %}

{% macro default__arg_min(arg, val) -%}
    arg_min({{ arg }}, {{ val }})
{%- endmacro %}

{% macro spark__arg_min(arg, val) -%}
    min_by({{ arg }}, case when {{ arg }} is not null then {{ val }} end)
{%- endmacro %}

{% macro arg_max(arg, val) -%}
    {{ return(adapter.dispatch('arg_max', 'clientpulse')(arg, val)) }}
{%- endmacro %}

{% macro default__arg_max(arg, val) -%}
    arg_max({{ arg }}, {{ val }})
{%- endmacro %}

{% macro spark__arg_max(arg, val) -%}
    max_by({{ arg }}, case when {{ arg }} is not null then {{ val }} end)
{%- endmacro %}

{#- Every column but ``columns`` (DuckDB `* exclude (...)`, Spark `* except (...)`). -#}
{% macro star_except(columns) -%}
    {{ return(adapter.dispatch('star_except', 'clientpulse')(columns)) }}
{%- endmacro %}

{% macro default__star_except(columns) -%}
    * exclude ({{ columns | join(', ') }})
{%- endmacro %}

{% macro spark__star_except(columns) -%}
    * except ({{ columns | join(', ') }})
{%- endmacro %}
