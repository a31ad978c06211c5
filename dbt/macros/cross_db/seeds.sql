{#- Seeds on Spark: dbt-spark's session cursor puts every binding between quotes as it is, so a
    value with an apostrophe (rfm_segment_map's "Can't Lose Them") breaks the insert and an empty
    cell lands as the text 'None'. This override of dbt-spark's spark__load_csv_rows writes the
    values as literals instead: null, numbers and booleans bare, text quoted with backslash escapes
    (Spark SQL's), so a seed holds on Spark what it holds on DuckDB. -#}
{% macro spark_seed_literal(value) -%}
    {%- if value is none -%}null
    {%- elif value is sameas true or value is sameas false -%}{{ value | string | lower }}
    {%- elif value is number -%}{{ value }}
    {%- else -%}'{{ value | string | replace("\\", "\\\\") | replace("'", "\\'") }}'
    {%- endif -%}
{%- endmacro %}

{% macro spark__load_csv_rows(model, agate_table) %}
  {%- set column_override = model['config'].get('column_types', {}) -%}
  {%- set statements = [] -%}
  {%- for chunk in agate_table.rows | batch(get_batch_size()) -%}
      {%- set sql -%}
          insert into {{ this.render() }} values
          {% for row in chunk -%}
              ({%- for col_name in agate_table.column_names -%}
                  {%- set type = column_override.get(col_name, adapter.convert_type(agate_table, loop.index0)) -%}
                  cast({{ spark_seed_literal(row[loop.index0]) }} as {{ type }}){{ "," if not loop.last }}
              {%- endfor -%}){{ "," if not loop.last }}
          {%- endfor %}
      {%- endset -%}
      {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
      {%- if loop.first -%}{%- do statements.append(sql) -%}{%- endif -%}
  {%- endfor -%}
  {{ return(statements[0]) }}
{% endmacro %}
