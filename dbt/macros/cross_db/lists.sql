{#- Lists (DuckDB) / arrays (Spark), the text type and division, where the two dialects differ. -#}

{#- The text type of a cast (DuckDB varchar; Spark's varchar needs a length, its text is string). -#}
{% macro type_text() -%}
    {{ return(adapter.dispatch('type_text', 'clientpulse')()) }}
{%- endmacro %}

{% macro default__type_text() -%}varchar{%- endmacro %}

{% macro spark__type_text() -%}string{%- endmacro %}

{#- The list of the non-null ``items`` (SQL expressions), in order (``var`` is the name of
    DuckDB's lambda parameter). -#}
{% macro non_null_list(items, var='t') -%}
    {{ return(adapter.dispatch('non_null_list', 'clientpulse')(items, var)) }}
{%- endmacro %}

{% macro default__non_null_list(items, var='t') -%}
    list_filter([
        {{ items | join(',\n        ') }}
    ], lambda {{ var }}: {{ var }} is not null)
{%- endmacro %}

{% macro spark__non_null_list(items, var='t') -%}
    array_compact(array({{ items | join(', ') }}))
{%- endmacro %}

{#- The empty list. -#}
{% macro empty_list() -%}
    {{ return(adapter.dispatch('empty_list', 'clientpulse')()) }}
{%- endmacro %}

{% macro default__empty_list() -%}[]{%- endmacro %}

{% macro spark__empty_list() -%}array(){%- endmacro %}

{#- The empty list of texts, typed (DuckDB varchar[], Spark array<string>). -#}
{% macro empty_text_list() -%}
    {{ return(adapter.dispatch('empty_text_list', 'clientpulse')()) }}
{%- endmacro %}

{% macro default__empty_text_list() -%}cast([] as varchar[]){%- endmacro %}

{% macro spark__empty_text_list() -%}cast(array() as array<string>){%- endmacro %}

{#- The list holds ``value`` (DuckDB list_contains, Spark array_contains). -#}
{% macro list_has(col, value) -%}
    {{ return(adapter.dispatch('list_has', 'clientpulse')(col, value)) }}
{%- endmacro %}

{% macro default__list_has(col, value) -%}list_contains({{ col }}, {{ value }}){%- endmacro %}

{% macro spark__list_has(col, value) -%}array_contains({{ col }}, {{ value }}){%- endmacro %}

{#- The elements of ``col`` that ``codes`` (a list) holds, in ``col``'s order (``var`` is the
    lambda parameter). -#}
{% macro list_filter_in(col, codes, var='x') -%}
    {{ return(adapter.dispatch('list_filter_in', 'clientpulse')(col, codes, var)) }}
{%- endmacro %}

{% macro default__list_filter_in(col, codes, var='x') -%}
    list_filter({{ col }}, lambda {{ var }}: list_contains({{ codes }}, {{ var }}))
{%- endmacro %}

{% macro spark__list_filter_in(col, codes, var='x') -%}
    filter({{ col }}, {{ var }} -> array_contains({{ codes }}, {{ var }}))
{%- endmacro %}

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

{#- One row per element of the text ``col`` split at the literal ``sep``, as column ``name`` of
    ``alias``; written right after the FROM item whose column it splits (DuckDB a cross join with
    unnest(string_split), Spark a lateral view of explode(split), whose separator is a regex: its
    special characters are escaped). -#}
{% macro split_to_rows(col, sep, alias, name) -%}
    {{ return(adapter.dispatch('split_to_rows', 'clientpulse')(col, sep, alias, name)) }}
{%- endmacro %}

{% macro default__split_to_rows(col, sep, alias, name) -%}
    , unnest(string_split({{ col }}, '{{ sep }}')) as {{ alias }}({{ name }})
{%- endmacro %}

{% macro spark__split_to_rows(col, sep, alias, name) -%}
    {%- set out = namespace(text='') -%}
    {%- for ch in sep -%}
        {%- set out.text = out.text ~ ('\\' if ch in '\\^$.|?*+()[]{}' else '') ~ ch -%}
    {%- endfor %}
    lateral view explode(split({{ col }}, '{{ out.text }}')) {{ alias }} as {{ name }}
{%- endmacro %}
