-- The coverage history holds exactly today's quality_coverage for the run's as-of date (a re-run
-- of the same date replaced, not duplicated, its snapshot).
{# reads several models: Dagster shows it as a check on quality_coverage_history (dagster-dbt reads meta.dagster.ref) #}
{{ config(meta={'dagster': {'ref': {'name': 'quality_coverage_history'}}}) }}
with today as (select count(*) as n from {{ ref('quality_coverage') }}),
hist as (select count(*) as n from {{ ref('quality_coverage_history') }} where as_of = {{ as_of_date() }})
select today.n as coverage_rows, hist.n as history_rows from today, hist where today.n <> hist.n
