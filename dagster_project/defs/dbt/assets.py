"""dbt models as Dagster assets, split by layer so Python steps can sit between layers.

staging/intermediate run after ingestion and normalisation; marts after identity resolution;
serving (customer_360) after the ML scores. Every step passes the run's as-of date as a dbt var.
"""


import json
import os
import sys
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from dagster_project.settings import WAREHOUSE_POOL, load_settings, resolve_as_of
from data_quality.config import load_yaml

from .project import ClientpulseDbtTranslator, dbt_project, ensure_manifest

MANIFEST = ensure_manifest()
TRANSLATOR = ClientpulseDbtTranslator()


def _run_dbt(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    as_of = resolve_as_of(context.run.tags)
    os.environ["CLIENTPULSE_WAREHOUSE"] = str(load_settings().warehouse_path)
    # thresholds from config/analytics.yaml (a user's CLIENTPULSE_CONFIG_DIR copy wins) + the as-of date
    dbt_vars = {**load_yaml("analytics.yaml"), "as_of": as_of.isoformat()}
    context.log.info(f"dbt build as of {as_of}")
    yield from dbt.cli(
        ["build", "--indirect-selection", "buildable", "--vars", json.dumps(dbt_vars)], context=context
    ).stream()


@dbt_assets(
    manifest=MANIFEST,
    select="path:models/staging path:models/intermediate resource_type:seed",
    name="dbt_staging",
    dagster_dbt_translator=TRANSLATOR,
    project=dbt_project,
    pool=WAREHOUSE_POOL,
)
def dbt_staging_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    yield from _run_dbt(context, dbt)


@dbt_assets(
    manifest=MANIFEST,
    select="path:models/marts path:models/quality",
    name="dbt_marts",
    dagster_dbt_translator=TRANSLATOR,
    project=dbt_project,
    pool=WAREHOUSE_POOL,
)
def dbt_mart_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    yield from _run_dbt(context, dbt)


@dbt_assets(
    manifest=MANIFEST,
    select="path:models/serving",
    name="dbt_serving",
    dagster_dbt_translator=TRANSLATOR,
    project=dbt_project,
    pool=WAREHOUSE_POOL,
)
def dbt_serving_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    yield from _run_dbt(context, dbt)


# The dbt next to this interpreter: `make`, the CLI and the UI need no activated venv.
dbt_resource = DbtCliResource(project_dir=dbt_project, dbt_executable=str(Path(sys.executable).with_name("dbt")))
