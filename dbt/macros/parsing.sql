{#- Typing helpers for text that arrives from real exports. -#}

{% macro as_of_date() -%}
    cast('{{ var("as_of") }}' as date)
{%- endmacro %}

{#- A timestamp from the many forms seen in exports: ISO with or without time/zone, 01.03.2024,
    01.03.2024 14:22, 20240301, 01/03/2024 (day first, the Russian convention), Excel serials. -#}
{% macro parse_timestamp(col) -%}
    {%- set parsed -%}
    coalesce(
        {{ try_cast_timestamp("nullif(trim(" ~ col ~ "), '')") }},
        {{ try_strptime_any("trim(" ~ col ~ ")", [
            '%d.%m.%Y %H:%M:%S', '%d.%m.%Y %H:%M', '%d.%m.%Y', '%d.%m.%y',
            '%Y%m%d', '%Y%m%d%H%M%S', '%d/%m/%Y %H:%M:%S', '%d/%m/%Y %H:%M', '%d/%m/%Y',
            '%Y/%m/%d', '%Y.%m.%d', '%d-%m-%Y', '%Y-%m-%d %H:%M'
        ]) }},
        case when {{ full_match("trim(" ~ col ~ ")", '[1-9][0-9]{4}(\\.[0-9]+)?') }}
              and try_cast(trim({{ col }}) as double) between 20000 and 80000
             then {{ excel_serial_timestamp("try_cast(trim(" ~ col ~ ") as double)") }}
        end
    )
    {%- endset %}
    {{- plausible_timestamp(parsed) -}}
{%- endmacro %}

{#- 0001-01-01 and 9999-12-31 are "unknown" / "never" sentinels of ERP exports, not dates: outside
    the plausible window a value counts as unparsed (its text stays in the *_raw column). -#}
{% macro plausible_timestamp(expr) -%}
    case when {{ expr }} >= timestamp '{{ var("plausible_date_min", "1900-01-01") }}'
          and {{ expr }} < timestamp '{{ var("plausible_date_max", "2200-01-01") }}'
         then {{ expr }} end
{%- endmacro %}

{% macro parse_date(col) -%}
    cast({{ parse_timestamp(col) }} as date)
{%- endmacro %}

{#- A number with a decimal comma, spaces or non-breaking spaces as thousand separators. -#}
{#- NaN, inf and magnitudes no business amount reaches (1e308 sums to inf) count as unparsed. -#}
{% macro parse_number(col) -%}
    {%- set parsed -%}
    try_cast(replace({{ replace_all("trim(" ~ col ~ ")", '[\\s\\x{00a0}]', '') }}, ',', '.') as double)
    {%- endset -%}
    case when abs({{ parsed }}) < {{ var("plausible_number_max", 1e15) }} then {{ parsed }} end
{%- endmacro %}

{% macro clean_text(col) -%}
    nullif(trim({{ col }}), '')
{%- endmacro %}

{#- Matching key of a CRM contact id: an all-digit id loses its leading zeros and a float tail
    (`000123`, `123` and `123.0` are one id), because an Excel or pandas round trip rewrites ids in
    one export and not in another. Display keeps the id exactly as landed. -#}
{% macro contact_id_key(col) -%}
    case
        when {{ full_match("trim(" ~ col ~ ")", '[0-9]+([.,]0+)?') }}
            then coalesce(nullif({{ ltrim_chars(replace_first("trim(" ~ col ~ ")", '[.,]0+$', ''), '0') }}, ''), '0')
        else nullif(trim({{ col }}), '')
    end
{%- endmacro %}

{#- Slash dates are ambiguous: 01/03/2024 is 1 March in Russia and 3 January in the US. Decide
    per landed file from its own values: a file where some first component is 13–31 is day-first,
    one where some second component is 13–31 is month-first; undecided files stay day-first. -#}
{% macro date_style_by_file(relation, col) -%}
    select
        _source_file,
        bool_or({{ full_match("trim(" ~ col ~ ")", '[0-9]{1,2}/(1[3-9]|2[0-9]|3[01])/[0-9]{2,4}( .*)?') }})
        and not bool_or({{ full_match("trim(" ~ col ~ ")", '(1[3-9]|2[0-9]|3[01])/[0-9]{1,2}/[0-9]{2,4}( .*)?') }})
            as month_first
    from {{ relation }}
    group by 1
{%- endmacro %}

{% macro parse_timestamp_styled(col, month_first) -%}
    case
        when coalesce({{ month_first }}, false) then coalesce(
            {{ plausible_timestamp(try_strptime_any("trim(" ~ col ~ ")", ['%m/%d/%Y %H:%M:%S', '%m/%d/%Y %H:%M', '%m/%d/%Y', '%m/%d/%y %H:%M', '%m/%d/%y'])) }},
            {{ parse_timestamp(col) }}
        )
        else {{ parse_timestamp(col) }}
    end
{%- endmacro %}
