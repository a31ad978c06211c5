"""Replaying a daily run up to identity resolution, without the Dagster graph.

`run_identity_day` does what the daily job does before `core.customer_identity` is final, and
nothing after it: ingestion of the new landing files (data_quality.landing), contact
normalisation, the dbt models up to intermediate.int_identity_records (seeds included, dbt tests
left to the e2e suite), then the identity step of the asset (dagster_project.identity_step, last
run's crosswalk and aliases in). A day costs ~1/3 of a whole run, so a week of days fits a test.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from dagster_project.identity_step import read_decisions, resolve_on_warehouse
from dagster_project.resources import resources_for
from dagster_project.warehouse import replace_table
from data_quality.landing import ingest_landing, load_landing_config
from data_quality.normalize.lookups import build_lookups
from tests.support.marts import run_dbt

# the identity input and everything upstream of it: seeds and models, no dbt tests
DBT_TO_IDENTITY = ["build", "--select", "+int_identity_records", "--resource-type", "seed", "--resource-type", "model"]


@dataclass
class IdentityDay:
    as_of: date
    identity: pd.DataFrame  # core.customer_identity: source, source_record_id, customer_id
    input_records: pd.DataFrame  # intermediate.int_identity_records: source, source_record_id
    previous_records: int
    stats: dict


def run_identity_day(root: Path, landing: Path, as_of: date) -> IdentityDay:
    """One day's ingestion, normalisation, dbt up to int_identity_records and identity resolution
    on ``root/warehouse.duckdb`` (the previous day's crosswalk is the one found there)."""
    resources = resources_for(root, landing)
    warehouse, settings = resources["warehouse"], resources["settings"]
    warehouse.file.parent.mkdir(parents=True, exist_ok=True)
    with warehouse.connect() as con:
        ingest_landing(con, settings.landing, load_landing_config(settings.config("sources"), settings.mapping_dirs()))
        for name, frame in build_lookups(con, settings.config("normalization")).items():
            replace_table(con, "normalized", name, frame)
    run_dbt(warehouse.file, as_of, args=DBT_TO_IDENTITY, seed=False)
    config = settings.config("identity")
    with warehouse.connect() as con:
        step = resolve_on_warehouse(con, config, as_of, read_decisions(config, warehouse.data_dir))
        identity = con.execute("SELECT source, source_record_id, customer_id FROM core.customer_identity").df()
        inputs = con.execute("SELECT source, source_record_id FROM intermediate.int_identity_records").df()
    return IdentityDay(as_of, identity, inputs, step.previous_records, dict(step.result.stats))
