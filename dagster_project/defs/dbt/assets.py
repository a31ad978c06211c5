"""dbt models as Dagster assets, split by layer so Python steps can sit between layers.

staging/intermediate run after ingestion and normalisation; marts after identity resolution;
serving (customer_360) after the ML scores. Every step passes the partition's as-of date as a
dbt var.
"""


import json
import os

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from clientpulse_config.dbt_vars import analytics_vars
from dagster_project.as_of import partition_date
from dagster_project.asset_metadata import table_metadata
from dagster_project.defs.partitions import AS_OF_STEP
from dagster_project.resources import PipelineSettings, Warehouse

from .project import ClientpulseDbtTranslator, dbt_project, ensure_manifest

MANIFEST = ensure_manifest()
TRANSLATOR = ClientpulseDbtTranslator()


def _run_dbt(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: Warehouse,
             settings: PipelineSettings):
    as_of = partition_date(context)
    # dbt's profile reads the warehouse path from the environment of its subprocess
    os.environ["CLIENTPULSE_WAREHOUSE"] = str(warehouse.file)
    os.environ["CLIENTPULSE_DUCKDB_MEMORY_LIMIT"] = warehouse.memory_limit
    # a dbt step may be the first to open a new warehouse (seeds run in a step of their own when the
    # graph needs them early); DuckDB creates the file but not its folder
    warehouse.file.parent.mkdir(parents=True, exist_ok=True)
    # thresholds from config/analytics.yaml (a user's CLIENTPULSE_CONFIG_DIR copy wins) + the as-of date
    dbt_vars = analytics_vars(as_of, settings.user_config_dir)
    context.log.info(f"dbt build as of {as_of}")
    events = dbt.cli(["build", "--indirect-selection", "buildable", "--vars", json.dumps(dbt_vars)],
                     context=context, target_path=dbt_target_path(warehouse)).stream()
    yield from with_table_metadata(events, warehouse)


def dbt_target_path(warehouse: Warehouse):
    """One dbt target folder per warehouse, beside it, shared by every dbt step of every run.

    dagster-dbt's default is a new folder per invocation, so each of a run's dbt steps re-parsed
    the whole project (~10 s each); in one folder the first step of a run parses (its vars carry
    the as-of date) and writes ``partial_parse.msgpack``, and the later steps, with the same vars
    and profile, reuse it. Runs on one warehouse never overlap (run_guard's lock), so the folder's
    artifacts are never written by two dbt processes at once.
    """
    return warehouse.file.parent / "dbt_target"


def with_table_metadata(events, warehouse: Warehouse):
    """Attach `dagster/row_count` and `dagster/column_schema` to every model and seed the step built.

    Not dagster-dbt's `fetch_row_counts()` / `fetch_column_metadata()`: they query through dbt's
    adapter inside this process, and dbt-duckdb keeps that connection open after the step, so the
    next step's own connection to the same file fails ("Can't open a connection to same database
    file with a different configuration"). Instead the events are held until the dbt process has
    ended (it holds DuckDB's one write lock) and the counts and columns are read from the warehouse
    with the step's own connection; column descriptions come from the dbt YAML (docs/dagster_ui.md).
    """
    events = list(events)  # the dbt process has exited: the warehouse is free again
    nodes = json.loads(MANIFEST.read_text(encoding="utf-8"))["nodes"]
    with warehouse.connect() as con:
        for event in events:
            unique_id = (getattr(event, "metadata", None) or {}).get("unique_id")
            node = nodes.get(str(getattr(unique_id, "value", unique_id)))
            if isinstance(event, dg.Output | dg.AssetMaterialization) and node and node["resource_type"] in ("model", "seed"):
                described = {c: v.get("description") or None for c, v in (node.get("columns") or {}).items()}
                event = event.with_metadata({**event.metadata, **table_metadata(
                    con, node["schema"], node.get("alias") or node["name"], described)})
            yield event


def _layer_assets(name: str, select: str):
    """One @dbt_assets definition per layer: a separate step, so Python assets can sit between."""

    @dbt_assets(
        manifest=MANIFEST,
        select=select,
        name=name,
        dagster_dbt_translator=TRANSLATOR,
        project=dbt_project,
        **AS_OF_STEP,
    )
    def _layer(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: Warehouse,
               settings: PipelineSettings):
        yield from _run_dbt(context, dbt, warehouse, settings)

    return _layer


dbt_staging_models = _layer_assets("dbt_staging", "tag:staging tag:pre_identity resource_type:seed")
dbt_mart_models = _layer_assets("dbt_marts", "tag:post_identity tag:marts tag:quality")
dbt_serving_models = _layer_assets("dbt_serving", "tag:serving")

