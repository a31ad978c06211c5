{#- The config of a snapshot table keyed by as_of, where a re-run for an as-of date replaces that
    date's rows and leaves the others: DuckDB deletes and inserts on as_of; dbt-spark has no
    delete+insert on Parquet tables, so there the table is partitioned by as_of and the date's
    partition is overwritten (insert_overwrite: Spark puts the partition column last). -#}
{% macro as_of_snapshot_config() -%}
    {{ return(adapter.dispatch('as_of_snapshot_config', 'clientpulse')()) }}
{%- endmacro %}

{% macro default__as_of_snapshot_config() -%}
    {{ return({'incremental_strategy': 'delete+insert', 'unique_key': 'as_of'}) }}
{%- endmacro %}

{% macro spark__as_of_snapshot_config() -%}
    {{ return({'incremental_strategy': 'insert_overwrite', 'partition_by': ['as_of']}) }}
{%- endmacro %}
