{#- Text functions where DuckDB and Spark SQL differ (adapter dispatch: default__ is DuckDB, the
    reference; spark__ is Spark SQL). -#}

{#- The whole text matches the pattern (DuckDB regexp_full_match; Spark rlike with anchors). -#}
{% macro full_match(col, pattern) -%}
    {{ return(adapter.dispatch('full_match', 'clientpulse')(col, pattern)) }}
{%- endmacro %}

{% macro default__full_match(col, pattern) -%}
    regexp_full_match({{ col }}, '{{ pattern }}')
{%- endmacro %}

{% macro spark__full_match(col, pattern) -%}
    ({{ col }} rlike '^(?:{{ pattern | replace("\\", "\\\\") }})$')
{%- endmacro %}

{#- Replace every match (DuckDB needs the 'g' flag, Spark replaces all; 'i' is (?i) in Java). -#}
{% macro replace_all(col, pattern, replacement, ignore_case=false) -%}
    {{ return(adapter.dispatch('replace_all', 'clientpulse')(col, pattern, replacement, ignore_case)) }}
{%- endmacro %}

{% macro default__replace_all(col, pattern, replacement, ignore_case=false) -%}
    regexp_replace({{ col }}, '{{ pattern }}', '{{ replacement }}', '{{ "gi" if ignore_case else "g" }}')
{%- endmacro %}

{% macro spark__replace_all(col, pattern, replacement, ignore_case=false) -%}
    regexp_replace({{ col }}, '{{ "(?i)" if ignore_case else "" }}{{ pattern | replace("\\", "\\\\") }}', '{{ replacement }}')
{%- endmacro %}

{#- Replace the first match only (DuckDB's default; Spark: the pattern is anchored by the caller). -#}
{% macro replace_first(col, pattern, replacement, ignore_case=false) -%}
    {{ return(adapter.dispatch('replace_first', 'clientpulse')(col, pattern, replacement, ignore_case)) }}
{%- endmacro %}

{% macro default__replace_first(col, pattern, replacement, ignore_case=false) -%}
    regexp_replace({{ col }}, '{{ pattern }}', '{{ replacement }}'{{ ", 'i'" if ignore_case else "" }})
{%- endmacro %}

{% macro spark__replace_first(col, pattern, replacement, ignore_case=false) -%}
    regexp_replace({{ col }}, '{{ "(?i)" if ignore_case else "" }}{{ pattern | replace("\\", "\\\\") }}', '{{ replacement }}')
{%- endmacro %}
