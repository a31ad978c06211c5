-- Quarantine, not loss: the quality models hold exactly the staging CRM contact rows (each once),
-- the per-file and per-manager marts add up to them, every golden record has a completeness row,
-- and the coverage «точка А» adds up to core.customer_identity / core.customers.
{# reads several models: Dagster shows it as a check on quality_coverage (dagster-dbt reads meta.dagster.ref) #}
{{ config(meta={'dagster': {'ref': {'name': 'quality_coverage'}}}) }}
with staging as (select count(*) as n from {{ ref('stg_crm_contacts') }}),
records as (select count(*) as n, count(distinct (_source_file, _line)) as keys from {{ ref('quality_contact_records') }}),
by_source as (select coalesce(sum(contacts), 0) as n from {{ ref('quality_by_source') }}),
by_manager as (select coalesce(sum(contacts), 0) as n from {{ ref('quality_by_manager') }}),
customers as (select count(*) as n from {{ source('core', 'customers') }}),
completeness as (select count(*) as n from {{ ref('quality_customer_completeness') }}),
identity as (select count(*) as n from {{ source('core', 'customer_identity') }}),
coverage_all as (select records, customers from {{ ref('quality_coverage') }} where source = 'all'),
coverage_sources as (select coalesce(sum(records), 0) as records from {{ ref('quality_coverage') }} where source <> 'all')
select
    staging.n as staging_rows, records.n as quality_rows, records.keys as quality_keys,
    by_source.n as by_source_rows, by_manager.n as by_manager_rows,
    customers.n as customers, completeness.n as completeness_rows,
    identity.n as identity_records, coverage_all.records as coverage_records,
    coverage_all.customers as coverage_customers, coverage_sources.records as coverage_source_records
from staging, records, by_source, by_manager, customers, completeness, identity, coverage_all, coverage_sources
where records.n <> staging.n
   or records.keys <> staging.n
   or by_source.n <> staging.n
   or by_manager.n <> staging.n
   or completeness.n <> customers.n
   or coverage_all.customers <> customers.n
   or coverage_all.records <> identity.n
   or coverage_sources.records <> identity.n
