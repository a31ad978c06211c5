"""The clientpulse code location: everything declared under ``dagster_project/defs``, plus the
policy that holds for the whole graph.

Every step that touches the DuckDB warehouse runs in the `duckdb_warehouse` pool and, by default,
in one process (in_process_executor): DuckDB allows one writer per file. Every asset is owned by
OWNERS and the serving assets carry a freshness policy (docs/dagster_ui.md).
"""

from __future__ import annotations

import datetime as dt
import warnings
from pathlib import Path

import dagster as dg

from clientpulse_config import load
from dagster_project.defs.dbt.project import OWNERS

PROJECT_ROOT = Path(__file__).resolve().parents[1]

_PIPELINE = load("pipeline")
# The serving assets are expected once a day (the 06:00 schedule) plus the run's slack: the UI shows
# them stale after warn_after_hours, failed after fail_after_hours (config/pipeline.yaml freshness).
SERVING_FRESHNESS = dg.FreshnessPolicy.time_window(
    fail_window=dt.timedelta(hours=_PIPELINE["freshness"]["fail_after_hours"]),
    warn_window=dt.timedelta(hours=_PIPELINE["freshness"]["warn_after_hours"]),
)
SERVING_GROUP = "serving"


def _ui_policy(spec: dg.AssetSpec) -> dg.AssetSpec:
    """Every asset has an owner; the serving group has the daily freshness policy."""
    spec = spec.replace_attributes(owners=list(OWNERS))
    if spec.group_name == SERVING_GROUP:
        spec = spec.replace_attributes(freshness_policy=SERVING_FRESHNESS)
    return spec


with warnings.catch_warnings():  # map_asset_specs is a preview API of dagster 1.13: said once, here
    warnings.simplefilter("ignore", dg.PreviewWarning)
    defs = dg.Definitions.merge(
        dg.load_from_defs_folder(project_root=PROJECT_ROOT),
        dg.Definitions(executor=dg.in_process_executor),
    ).map_asset_specs(func=_ui_policy)
