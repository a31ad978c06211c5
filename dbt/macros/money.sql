{#- Money as DECIMAL(18, 2), end to end (issue 16.3: exact reruns). A parsed amount (double) is
    rounded to cents once, here; sums of DECIMAL stay DECIMAL (DECIMAL(38, 2)), so a total does
    not depend on the order the rows were added in. Values beyond plausible_number_max are NULL
    (unparsed), as in parse_number, so the cast can never overflow. -#}
{% macro money(expr) -%}
    case when abs({{ expr }}) < {{ var("plausible_number_max", 1e15) }}
        then cast(round({{ expr }}, 2) as decimal(18, 2)) end
{%- endmacro %}
