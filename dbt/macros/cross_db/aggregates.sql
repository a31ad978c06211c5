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

{#- The texts of ``col`` joined by ``sep`` in the order of ``order_by`` (DuckDB string_agg with
    order by, Spark listagg within group). -#}
{% macro ordered_string_agg(col, sep, order_by) -%}
    {{ return(adapter.dispatch('ordered_string_agg', 'clientpulse')(col, sep, order_by)) }}
{%- endmacro %}

{% macro default__ordered_string_agg(col, sep, order_by) -%}
    string_agg({{ col }}, '{{ sep }}' order by {{ order_by }})
{%- endmacro %}

{% macro spark__ordered_string_agg(col, sep, order_by) -%}
    listagg({{ col }}, '{{ sep }}') within group (order by {{ order_by }})
{%- endmacro %}

{#- The set operator of the action lists' union (DuckDB matches the columns by name; Spark SQL has
    no union by name, and every list is list_output's columns in one order, so it is a union all). -#}
{% macro union_all_by_name() -%}
    {{ return(adapter.dispatch('union_all_by_name', 'clientpulse')()) }}
{%- endmacro %}

{% macro default__union_all_by_name() -%}union all by name{%- endmacro %}

{% macro spark__union_all_by_name() -%}union all{%- endmacro %}

{#- The distinct texts of ``col`` in ascending order, joined by ``sep`` (DuckDB string_agg(distinct
    ... order by), Spark the sorted collect_set). -#}
{% macro distinct_string_agg(col, sep) -%}
    {{ return(adapter.dispatch('distinct_string_agg', 'clientpulse')(col, sep)) }}
{%- endmacro %}

{% macro default__distinct_string_agg(col, sep) -%}
    string_agg(distinct {{ col }}, '{{ sep }}' order by {{ col }})
{%- endmacro %}

{% macro spark__distinct_string_agg(col, sep) -%}
    array_join(array_sort(collect_set({{ col }})), '{{ sep }}')
{%- endmacro %}
