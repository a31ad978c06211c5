"""The data-filling standard as Dagster asset checks, materialised on a tiny hand-built warehouse:
the real multi-asset checks, Data Docs, a downstream asset that a failing blocking check stops
(the rules on frames: tests/unit/dagster_project/test_quality_checks.py).
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb

from dagster_project.defs.quality.checks import STANDARD_TABLES, SUMMARY_CHECK, standard_checks
from dagster_project.resources import resources_for
from tests.support.standard import AS_OF, FRAMES


def _warehouse(root: Path, broken: bool) -> Path:
    path = root / "warehouse.duckdb"
    con = duckdb.connect(str(path))
    try:
        for table, make in FRAMES.items():
            _, relation = STANDARD_TABLES[table]
            schema, name = relation.split(".")
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
            frame = make(broken=broken and table == "stg_crm_contacts")
            con.register("f", frame)
            con.execute(f"CREATE OR REPLACE TABLE {schema}.{name} AS SELECT * FROM f")
            con.unregister("f")
    finally:
        con.close()
    return path


def _run_checks(tmp_path: Path, monkeypatch, broken: bool):
    root = tmp_path / ("broken" if broken else "clean")
    root.mkdir()
    _warehouse(root, broken)
    ran = []

    @dg.asset(key=["marts", "downstream_of_contacts"], deps=[dg.AssetKey(["staging", "stg_crm_contacts"])])
    def downstream() -> None:
        ran.append(True)

    @dg.asset(key=["staging", "stg_crm_contacts"])
    def stg_crm_contacts() -> None:  # stands in for the dbt model (the table is already there)
        return None

    others = [dg.AssetSpec(["staging", "stg_orders"]), dg.AssetSpec(["core", "customers"])]
    result = dg.materialize(
        [stg_crm_contacts, downstream, *others, *standard_checks],
        selection=dg.AssetSelection.assets(stg_crm_contacts, downstream) | dg.AssetSelection.all_asset_checks(),
        raise_on_error=False,
        resources=resources_for(root, root / "landing"),
        tags={"dagster/partition": AS_OF.isoformat()},
    )
    evaluations = {(tuple(e.asset_key.path), e.check_name): e for e in result.get_asset_check_evaluations()}
    return root, result, evaluations, ran


def test_dagster_checks_pass_on_clean_warehouse_and_write_docs(tmp_path, monkeypatch):
    root, result, evals, ran = _run_checks(tmp_path, monkeypatch, broken=False)
    assert result.success
    assert ran == [True]
    blocking_failed = [k for k, e in evals.items() if not e.passed and e.severity == dg.AssetCheckSeverity.ERROR]
    assert blocking_failed == []
    assert len(evals) == sum(len(c.check_specs) for c in standard_checks)
    docs = root / "quality_docs"
    assert (docs / "index.html").is_file() and (docs / "core_customers" / "index.html").is_file()
    summary = evals[(("staging", "stg_crm_contacts"), SUMMARY_CHECK)]
    assert summary.metadata["data_docs"].value == str(docs / "stg_crm_contacts" / "index.html")


def test_dagster_blocking_check_stops_downstream_on_broken_contacts(tmp_path, monkeypatch):
    _, result, evals, ran = _run_checks(tmp_path, monkeypatch, broken=True)
    assert not result.success
    assert ran == []  # the mart downstream of the broken table did not run
    failed = {name for (key, name), e in evals.items() if key == ("staging", "stg_crm_contacts") and not e.passed}
    assert {"contact_id_not_null", "phone_e164_format", "phone_kind_allowed"} <= failed
    assert evals[(("core", "customers"), "customer_id_unique")].passed
