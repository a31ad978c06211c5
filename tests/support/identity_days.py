"""Replaying a daily run up to identity resolution, without the Dagster graph.

`run_identity_day` does what the daily job does before `core.customer_identity` is final, and
nothing after it: ingestion of the new landing files (data_quality.landing), contact
normalisation, the dbt models up to intermediate.int_identity_records (seeds included, dbt tests
left to the e2e suite), then the identity step of the asset (dagster_project.identity_step, last
run's crosswalk and aliases in). A day costs ~1/3 of a whole run, so a week of days fits a test.

dbt runs inside the test process (dbtRunner): a `dbt` subprocess spends ~6 s of each day starting
Python and importing dbt before its ~4 s parse (the as-of var changes daily: no partial parse).
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from unittest import mock

import pandas as pd

from clientpulse_config import merge
from clientpulse_config.dbt_vars import analytics_vars
from dagster_project.identity_step import read_decisions, resolve_on_warehouse
from dagster_project.resources import resources_for
from dagster_project.warehouse import replace_table
from data_quality.landing import ingest_landing, load_landing_config
from data_quality.normalize.lookups import build_lookups
from tests.support.marts import DBT_DIR

# the identity input and everything upstream of it: seeds and models, no dbt tests
DBT_TO_IDENTITY = ["build", "--select", "+int_identity_records", "--resource-type", "seed", "--resource-type", "model"]


def dbt_to_identity(warehouse, as_of: date) -> None:
    """`dbt build` of the seeds and models up to int_identity_records, in this process, with the
    warehouse path and memory limit the dbt step gives its subprocess (dagster_project/defs/dbt)."""
    from dbt.adapters.factory import reset_adapters
    from dbt.cli.main import dbtRunner

    env = {"CLIENTPULSE_WAREHOUSE": str(warehouse.file), "CLIENTPULSE_DUCKDB_MEMORY_LIMIT": warehouse.memory_limit,
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    target = warehouse.data_dir / "dbt_target"
    args = [*DBT_TO_IDENTITY, "--project-dir", str(DBT_DIR), "--profiles-dir", str(DBT_DIR), "--quiet",
            "--vars", json.dumps(analytics_vars(as_of)), "--target-path", str(target), "--log-path", str(target / "logs")]
    with mock.patch.dict(os.environ, env):
        try:
            result = dbtRunner().invoke(args)
        finally:
            reset_adapters()  # dbt-duckdb's connection closed: the next step opens the file with its own config
    if not result.success:
        raise RuntimeError(f"dbt {' '.join(DBT_TO_IDENTITY)} as of {as_of} failed: {result.exception or result.result}")


@dataclass
class IdentityDay:
    as_of: date
    identity: pd.DataFrame  # core.customer_identity: source, source_record_id, customer_id
    input_records: pd.DataFrame  # intermediate.int_identity_records: source, source_record_id
    previous_records: int
    stats: dict
    seconds: dict[str, float] = field(default_factory=dict)  # wall time per phase, for the report


def run_identity_day(root: Path, landing: Path, as_of: date, identity_overrides: dict | None = None) -> IdentityDay:
    """One day's ingestion, normalisation, dbt up to int_identity_records and identity resolution
    on ``root/warehouse.duckdb`` (the previous day's crosswalk is the one found there);
    ``identity_overrides`` are deep-merged over the identity configuration."""
    resources = resources_for(root, landing)
    warehouse, settings = resources["warehouse"], resources["settings"]
    warehouse.file.parent.mkdir(parents=True, exist_ok=True)
    clock = [time.perf_counter()]
    seconds = {}

    def lap(phase: str) -> None:
        clock.append(time.perf_counter())
        seconds[phase] = round(clock[-1] - clock[-2], 1)

    with warehouse.connect() as con:
        ingest_landing(con, settings.landing, load_landing_config(settings.config("sources"), settings.mapping_dirs()))
        for name, frame in build_lookups(con, settings.config("normalization")).items():
            replace_table(con, "normalized", name, frame)
    lap("ingest_normalize")
    dbt_to_identity(warehouse, as_of)
    lap("dbt")
    config = merge(settings.config("identity"), identity_overrides)
    with warehouse.connect() as con:
        step = resolve_on_warehouse(con, config, as_of, read_decisions(config, warehouse.data_dir))
        identity = con.execute("SELECT source, source_record_id, customer_id FROM core.customer_identity").df()
        inputs = con.execute("SELECT source, source_record_id FROM intermediate.int_identity_records").df()
    lap("identity")
    return IdentityDay(as_of, identity, inputs, step.previous_records, dict(step.result.stats), seconds)
