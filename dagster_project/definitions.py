"""The clientpulse code location: thin wiring of ingest → normalise → dbt → identity → ML → serving.

Every step that touches the DuckDB warehouse runs in the `duckdb_warehouse` pool and, by default,
in one process (in_process_executor): DuckDB allows one writer per file.
"""

from __future__ import annotations

import dagster as dg

from dagster_project.defs import ingest, quality
from dagster_project.defs.dbt.assets import (
    dbt_mart_models,
    dbt_resource,
    dbt_serving_models,
    dbt_staging_models,
)
from dagster_project.defs.identity.assets import every_record_has_one_customer, identity_resolution
from dagster_project.defs.ml.assets import (
    churn_and_toxicity,
    customer_health,
    customer_segments,
    message_signals,
)
from dagster_project.defs.normalize.assets import contact_normalization
from dagster_project.defs.schedules import daily_refresh_job, daily_refresh_schedule
from dagster_project.defs.serving.assets import published_database

defs = dg.Definitions(
    assets=[
        *ingest.assets,
        contact_normalization,
        dbt_staging_models,
        identity_resolution,
        dbt_mart_models,
        message_signals,
        customer_health,
        customer_segments,
        churn_and_toxicity,
        dbt_serving_models,
        *quality.assets,
        published_database,
    ],
    asset_checks=[*ingest.asset_checks, every_record_has_one_customer, *quality.asset_checks],
    jobs=[daily_refresh_job, *ingest.jobs],
    schedules=[daily_refresh_schedule],
    sensors=[*ingest.sensors],
    resources={"dbt": dbt_resource},
    executor=dg.in_process_executor,
)
