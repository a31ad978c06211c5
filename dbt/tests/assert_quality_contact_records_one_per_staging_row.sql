-- Every staging CRM contact row has exactly one quality row (matched on file + line) and no
-- quality row comes from nowhere: quarantined records are flagged, never dropped.
{# reads several models: Dagster shows it as a check on quality_contact_records (dagster-dbt reads meta.dagster.ref) #}
{{ config(meta={'dagster': {'ref': {'name': 'quality_contact_records'}}}) }}
with s as (select _source_file, _line from {{ ref('stg_crm_contacts') }}),
q as (select _source_file, _line, count(*) as n from {{ ref('quality_contact_records') }} group by all)
select 'missing' as problem, s._source_file, s._line from s
left join q on q._source_file = s._source_file and q._line = s._line where q._line is null
union all
select 'duplicated', q._source_file, q._line from q where q.n > 1
union all
select 'unknown', q._source_file, q._line from q
left join s on s._source_file = q._source_file and s._line = q._line where s._line is null
