{#- Date and time functions where DuckDB and Spark SQL differ (default__ is DuckDB). -#}

{#- The first of ``formats`` (strftime codes) that parses ``col``, else null. -#}
{% macro try_strptime_any(col, formats) -%}
    {{ return(adapter.dispatch('try_strptime_any', 'clientpulse')(col, formats)) }}
{%- endmacro %}

{% macro default__try_strptime_any(col, formats) -%}
    try_strptime({{ col }}, [{% for f in formats %}'{{ f }}'{{ ", " if not loop.last }}{% endfor %}])
{%- endmacro %}

{#- strftime codes to Spark datetime patterns: with separators one letter (1 or 2 digits, as
    DuckDB's strptime accepts), without separators fixed widths. -#}
{% macro spark_datetime_pattern(fmt) -%}
    {%- set compact = not (fmt | select('in', './- :') | list) -%}
    {%- set codes = {'%Y': 'yyyy', '%y': 'yy', '%m': 'MM' if compact else 'M', '%d': 'dd' if compact else 'd',
                     '%H': 'HH' if compact else 'H', '%M': 'mm' if compact else 'm', '%S': 'ss' if compact else 's'} -%}
    {%- set out = namespace(text=fmt) -%}
    {%- for code, letters in codes.items() -%}{%- set out.text = out.text | replace(code, letters) -%}{%- endfor -%}
    {{- out.text -}}
{%- endmacro %}

{% macro spark__try_strptime_any(col, formats) -%}
    coalesce({% for f in formats %}try_to_timestamp({{ col }}, '{{ spark_datetime_pattern(f) }}'){{ ", " if not loop.last }}{% endfor %})
{%- endmacro %}

{#- An Excel serial day number (days since 1899-12-30, fraction = time of day) as a timestamp. -#}
{% macro excel_serial_timestamp(days) -%}
    {{ return(adapter.dispatch('excel_serial_timestamp', 'clientpulse')(days)) }}
{%- endmacro %}

{% macro default__excel_serial_timestamp(days) -%}
    timestamp '1899-12-30' + to_microseconds(cast(round({{ days }} * 86400000000) as bigint))
{%- endmacro %}

{% macro spark__excel_serial_timestamp(days) -%}
    timestamp_micros(unix_micros(timestamp '1899-12-30 00:00:00') + cast(round({{ days }} * 86400000000) as bigint))
{%- endmacro %}

{#- An ISO text as a timestamp, else null. DuckDB's cast keeps the wall time of a text with an
    offset (2025-10-17T15:20:30+03:00 is 15:20:30) and refuses other forms; Spark's cast would
    shift to the session zone (UTC) and read '2025' or '45000' as years, so on Spark only DuckDB's
    ISO form is cast and its offset is dropped first. -#}
{% macro try_cast_timestamp(col) -%}
    {{ return(adapter.dispatch('try_cast_timestamp', 'clientpulse')(col)) }}
{%- endmacro %}

{% macro default__try_cast_timestamp(col) -%}
    try_cast({{ col }} as timestamp)
{%- endmacro %}

{% macro spark__try_cast_timestamp(col) -%}
    {%- set time = '[0-9]{1,2}:[0-9]{2}(:[0-9]{2}(\\\\.[0-9]+)?)?' -%}
    {%- set offset = '\\\\s*(Z|[+-][0-9]{2}(:?[0-9]{2})?)' -%}
    case when {{ col }} rlike '^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([T ]{{ time }}({{ offset }})?)?$'
         then try_cast(regexp_replace({{ col }}, '([T ]{{ time }}){{ offset }}$', '$1') as timestamp) end
{%- endmacro %}

{#- A date or timestamp as text in a strftime format (DuckDB strftime; Spark date_format with the
    codes as fixed-width pattern letters). -#}
{% macro format_datetime(col, fmt) -%}
    {{ return(adapter.dispatch('format_datetime', 'clientpulse')(col, fmt)) }}
{%- endmacro %}

{% macro default__format_datetime(col, fmt) -%}
    strftime({{ col }}, '{{ fmt }}')
{%- endmacro %}

{% macro spark__format_datetime(col, fmt) -%}
    {%- set codes = {'%Y': 'yyyy', '%m': 'MM', '%d': 'dd', '%H': 'HH', '%M': 'mm', '%S': 'ss'} -%}
    {%- set out = namespace(text=fmt) -%}
    {%- for code, letters in codes.items() -%}{%- set out.text = out.text | replace(code, letters) -%}{%- endfor -%}
    date_format({{ col }}, '{{ out.text }}')
{%- endmacro %}

{#- Days from ``start`` to ``end`` (day boundaries crossed; DuckDB date_diff('day', ...), Spark
    datediff(end, start)). -#}
{% macro diff_days(start, end) -%}
    {{ return(adapter.dispatch('diff_days', 'clientpulse')(start, end)) }}
{%- endmacro %}

{% macro default__diff_days(start, end) -%}
    date_diff('day', {{ start }}, {{ end }})
{%- endmacro %}

{% macro spark__diff_days(start, end) -%}
    datediff({{ end }}, {{ start }})
{%- endmacro %}

{#- ``date`` minus ``years`` whole years (DuckDB `- to_years(n)`, a timestamp at midnight; Spark a
    year-month interval, a date; both clamp 29 February to the 28th). -#}
{% macro minus_years(date, years) -%}
    {{ return(adapter.dispatch('minus_years', 'clientpulse')(date, years)) }}
{%- endmacro %}

{% macro default__minus_years(date, years) -%}
    {{ date }} - to_years({{ years }})
{%- endmacro %}

{% macro spark__minus_years(date, years) -%}
    {{ date }} - make_ym_interval({{ years }}, 0)
{%- endmacro %}
