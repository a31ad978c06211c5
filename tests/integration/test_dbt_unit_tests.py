"""The dbt unit tests (`unit_tests:` in dbt/models/marts/customers/_customers.yml) pass.

They check the RFM, RFCM and purchase-cycle / lifecycle rules on hand-made rows with exact
expected values. dbt reads the column types of every input from the warehouse, so the parents
must exist: this builds a throw-away warehouse with the typed staging and core tables of
tests/support/marts.py (no rows), `dbt seed`, `dbt run --empty` of the intermediate models and
mart_customer_rfm, then `dbt test --select test_type:unit`. Unit tests are enabled only with the
dbt var run_unit_tests (dbt/dbt_project.yml), added here to the vars of config/analytics.yaml; each
unit test pins the thresholds it relies on (overrides.vars). The same by hand, on a warehouse where
those parents exist (CLIENTPULSE_WAREHOUSE, e.g. one a pipeline run has built):

    cd dbt && ../.venv/bin/dbt test --select "test_type:unit" --profiles-dir . --project-dir . --vars \
      "$(../.venv/bin/python -c 'import json; from clientpulse_config.dbt_vars import analytics_vars as v; print(json.dumps({**v(), "run_unit_tests": True}))')"
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from clientpulse_config.dbt_vars import analytics_vars
from tests.support.marts import MartsFixture

REPO = Path(__file__).resolve().parents[2]
DBT_DIR = REPO / "dbt"
DBT_BIN = Path(sys.executable).with_name("dbt")
VARS = json.dumps(analytics_vars())
UNIT_VARS = json.dumps({**analytics_vars(), "run_unit_tests": True})


def _dbt(project: Path, work: Path, *args: str, target: str = "target") -> subprocess.CompletedProcess:
    env = {**os.environ, "CLIENTPULSE_WAREHOUSE": str(work / "warehouse.duckdb"),
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    target_dir = work / target
    cmd = [str(DBT_BIN), *args, "--project-dir", str(project), "--profiles-dir", str(project),
           "--target-path", str(target_dir), "--log-path", str(target_dir / "logs")]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=project)


def _unit_results(work: Path, target: str = "target") -> dict[str, str]:
    results = json.loads((work / target / "run_results.json").read_text())["results"]
    return {r["unique_id"]: r["status"] for r in results if r["unique_id"].startswith("unit_test.")}


@pytest.fixture(scope="module")
def warehouse_dir(tmp_path_factory) -> Path:
    """A warehouse holding every parent relation of the unit-tested models (empty tables)."""
    work = tmp_path_factory.mktemp("dbt_unit")
    MartsFixture().write(work / "warehouse.duckdb")
    for args in (["seed", "--vars", VARS], ["run", "--empty", "--select", "tag:post_identity mart_customer_rfm", "--vars", VARS]):
        proc = _dbt(DBT_DIR, work, *args)
        assert proc.returncode == 0, f"dbt {' '.join(args)} failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-2000:]}"
    return work


def test_dbt_unit_tests_pass(warehouse_dir):
    proc = _dbt(DBT_DIR, warehouse_dir, "test", "--select", "test_type:unit", "--vars", UNIT_VARS)
    assert proc.returncode == 0, proc.stdout[-6000:]
    results = _unit_results(warehouse_dir)
    assert len(results) >= 3, results
    assert set(results.values()) == {"pass"}, results
    tested = {uid.split(".")[2] for uid in results}
    assert {"mart_customer_rfm", "mart_customer_rfcm", "mart_customer_lifecycle"} <= tested, tested


def test_a_wrong_expectation_fails(warehouse_dir, tmp_path):
    """The harness sees a failing unit test: one expected RFM code changed in a copy of the project."""
    project = tmp_path / "dbt"
    shutil.copytree(DBT_DIR, project, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages", ".user.yml"))
    yml = project / "models" / "marts" / "customers" / "_customers.yml"
    text = yml.read_text()
    right = "r_score: 5, f_score: 5, m_score: 4, rfm_code: '554'"
    assert text.count(right) == 1
    yml.write_text(text.replace(right, "r_score: 5, f_score: 5, m_score: 5, rfm_code: '555'"))
    proc = _dbt(project, warehouse_dir, "test", "--select", "mart_customer_rfm,test_type:unit", "--vars", UNIT_VARS,
                target="target_mutated")
    assert proc.returncode != 0
    results = _unit_results(warehouse_dir, "target_mutated")
    assert results == {
        "unit_test.clientpulse.mart_customer_rfm.rfm_fixed_thresholds_scores_and_segments": "fail",
        "unit_test.clientpulse.mart_customer_rfm.rfm_quantile_scores_split_ties_by_customer_id": "pass",
    }, results
