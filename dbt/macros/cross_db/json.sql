{#- JSON text columns (the `_extra` of the landed files) where DuckDB and Spark SQL differ. -#}

{#- The text at a simple path ('$.key') of a JSON text; JSON null is SQL null on both. -#}
{% macro json_text(col, path) -%}
    {{ return(adapter.dispatch('json_text', 'clientpulse')(col, path)) }}
{%- endmacro %}

{% macro default__json_text(col, path) -%}
    json_extract_string({{ col }}, '{{ path }}')
{%- endmacro %}

{% macro spark__json_text(col, path) -%}
    get_json_object({{ col }}, '{{ path }}')
{%- endmacro %}

{#- The value of the first key (in document order) whose name, lower-cased and reduced to letters
    and digits, is one of ``headers``. Spark: the keys are filtered by a lambda and the value read
    from the object as a map of text (a number stays its JSON text, as DuckDB's
    json_extract_string gives it). -#}
{% macro json_first_key_value(col, headers) -%}
    {{ return(adapter.dispatch('json_first_key_value', 'clientpulse')(col, headers)) }}
{%- endmacro %}

{% macro default__json_first_key_value(col, headers) -%}
    json_extract_string({{ col }}, '$."' || list_filter(json_keys({{ col }}),
        lambda k: lower(regexp_replace(k, '[^\pL\pN]', '', 'g')) in {{ sql_string_list(headers) }})[1] || '"')
{%- endmacro %}

{% macro spark__json_first_key_value(col, headers) -%}
    from_json({{ col }}, 'map<string,string>')[filter(json_object_keys({{ col }}),
        k -> lower(regexp_replace(k, '[^\\pL\\pN]', '')) in {{ sql_string_list(headers) }})[0]]
{%- endmacro %}
