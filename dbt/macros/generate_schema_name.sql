{#- Use the custom schema verbatim (staging, marts, …) instead of dbt's default `main_marts`,
    so BI tools and the Python assets see the names of the data contract. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
