{{ config(
    materialized='incremental',
    on_schema_change='append_new_columns',
    **as_of_snapshot_config()
) }}
-- «Точка А» over time: one snapshot of quality_coverage per as-of date. A re-run for the same
-- as-of date deletes that date's snapshot and inserts it again (delete+insert on as_of), so re-runs
-- are idempotent and other dates are untouched. Compare a date with the first one to see progress.
select * from {{ ref('quality_coverage') }}
