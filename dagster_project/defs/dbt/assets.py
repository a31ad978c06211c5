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


def _layer_assets(name: str, select: str):
    """One @dbt_assets definition per layer: a separate step, so Python assets can sit between."""

    @dbt_assets(
        manifest=MANIFEST,
        select=select,
        name=name,
        dagster_dbt_translator=TRANSLATOR,
        project=dbt_project,
        pool=WAREHOUSE_POOL,
    )
    def _layer(context: dg.AssetExecutionContext, dbt: DbtCliResource):
        yield from _run_dbt(context, dbt)

    return _layer


dbt_staging_models = _layer_assets("dbt_staging", "path:models/staging path:models/intermediate resource_type:seed")
dbt_mart_models = _layer_assets("dbt_marts", "path:models/marts path:models/quality")
dbt_serving_models = _layer_assets("dbt_serving", "path:models/serving")


# The dbt next to this interpreter: `make`, the CLI and the UI need no activated venv.
dbt_resource = DbtCliResource(project_dir=dbt_project, dbt_executable=str(Path(sys.executable).with_name("dbt")))
