{#- Lists (DuckDB) / arrays (Spark), the text type and division, where the two dialects differ. -#}

{#- The text type of a cast (DuckDB varchar; Spark's varchar needs a length, its text is string). -#}
{% macro type_text() -%}
    {{ return(adapter.dispatch('type_text', 'clientpulse')()) }}
{%- endmacro %}

{% macro default__type_text() -%}varchar{%- endmacro %}

{% macro spark__type_text() -%}string{%- endmacro %}

{#- The list of the non-null ``items`` (SQL expressions), in order. -#}
{% macro non_null_list(items) -%}
    {{ return(adapter.dispatch('non_null_list', 'clientpulse')(items)) }}
{%- endmacro %}

{% macro default__non_null_list(items) -%}
    list_filter([
        {{ items | join(',\n        ') }}
    ], lambda t: t is not null)
{%- endmacro %}

{% macro spark__non_null_list(items) -%}
    array_compact(array({{ items | join(', ') }}))
{%- endmacro %}

{#- The empty list. -#}
{% macro empty_list() -%}
    {{ return(adapter.dispatch('empty_list', 'clientpulse')()) }}
{%- endmacro %}

{% macro default__empty_list() -%}[]{%- endmacro %}

{% macro spark__empty_list() -%}array(){%- endmacro %}

{#- The number of elements of a list. -#}
{% macro list_size(col) -%}
    {{ return(adapter.dispatch('list_size', 'clientpulse')(col)) }}
{%- endmacro %}

{% macro default__list_size(col) -%}len({{ col }}){%- endmacro %}

{% macro spark__list_size(col) -%}size({{ col }}){%- endmacro %}

{#- ``numerator / denominator`` as DuckDB computes it: a double, also for decimals (a literal such
    as 60.0 or a money column). Spark divides decimals as decimals, rounded to 6 places, so there
    the numerator is a double first. -#}
{% macro divide(numerator, denominator) -%}
    {{ return(adapter.dispatch('divide', 'clientpulse')(numerator, denominator)) }}
{%- endmacro %}

{% macro default__divide(numerator, denominator) -%}
    {{ numerator }} / {{ denominator }}
{%- endmacro %}

{% macro spark__divide(numerator, denominator) -%}
    cast({{ numerator }} as double) / {{ denominator }}
{%- endmacro %}

{#- The list of ``col`` ordered by ``order_by`` (an aggregate), of the rows ``where`` keeps. Spark
    collects (order, value) pairs, sorts them and keeps the values. -#}
{% macro ordered_list(col, order_by, where=none) -%}
    {{ return(adapter.dispatch('ordered_list', 'clientpulse')(col, order_by, where)) }}
{%- endmacro %}

{% macro default__ordered_list(col, order_by, where=none) -%}
    list({{ col }} order by {{ order_by }}){% if where %} filter (where {{ where }}){% endif %}
{%- endmacro %}

{% macro spark__ordered_list(col, order_by, where=none) -%}
    transform(array_sort(collect_list(named_struct('k', {{ order_by }}, 'v', {{ col }})){% if where %} filter (where {{ where }}){% endif %}), p -> p.v)
{%- endmacro %}

{#- The elements of a text list joined by ``sep``. -#}
{% macro list_join(col, sep) -%}
    {{ return(adapter.dispatch('list_join', 'clientpulse')(col, sep)) }}
{%- endmacro %}

{% macro default__list_join(col, sep) -%}
    array_to_string({{ col }}, '{{ sep }}')
{%- endmacro %}

{% macro spark__list_join(col, sep) -%}
    array_join({{ col }}, '{{ sep }}')
{%- endmacro %}

{#- The elements of a list mapped by ``expr`` (a function of ``var``), joined by ``sep``. -#}
{% macro join_mapped(col, var, expr, sep) -%}
    {{ return(adapter.dispatch('join_mapped', 'clientpulse')(col, var, expr, sep)) }}
{%- endmacro %}

{% macro default__join_mapped(col, var, expr, sep) -%}
    list_aggregate(list_transform({{ col }}, lambda {{ var }}: {{ expr }}), 'string_agg', '{{ sep }}')
{%- endmacro %}

{% macro spark__join_mapped(col, var, expr, sep) -%}
    array_join(transform({{ col }}, {{ var }} -> {{ expr }}), '{{ sep }}')
{%- endmacro %}
