"""The dbt unit tests of the outcome KPIs (`unit_tests:` in dbt/models/marts/outcomes/_outcomes.yml).

Hand-made verdict snapshots of six customers pin the KPI arithmetic of marts.mart_kpi_daily: churn
over the period and the short / long windows, revived churners, churned revenue and expected value,
early-warning recall against the snapshot 21-31 days earlier, cost of toxic customers and the
reactivation rates; a second test pins the first snapshot (every history KPI NULL with its note).
The fixture gives mart_verdict_history as SQL, so no parent has to exist: an empty warehouse is
enough. A copy of the project with one expected number changed must fail.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from clientpulse_config.dbt_vars import analytics_vars

REPO = Path(__file__).resolve().parents[2]
DBT_DIR = REPO / "dbt"
DBT_BIN = Path(sys.executable).with_name("dbt")
UNIT_VARS = json.dumps({**analytics_vars(), "run_unit_tests": True})
TESTS = ("kpi_daily_churn_recall_cost_and_reactivation", "kpi_daily_first_snapshot_has_no_history_kpis")


def _unit_test(project: Path, work: Path) -> tuple[subprocess.CompletedProcess, dict[str, str]]:
    env = {**os.environ, "CLIENTPULSE_WAREHOUSE": str(work / "warehouse.duckdb"),
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    target = work / "target"
    proc = subprocess.run(
        [str(DBT_BIN), "test", "--select", "mart_kpi_daily,test_type:unit", "--vars", UNIT_VARS,
         "--project-dir", str(project), "--profiles-dir", str(project),
         "--target-path", str(target), "--log-path", str(target / "logs")],
        capture_output=True, text=True, env=env, cwd=project)
    results = json.loads((target / "run_results.json").read_text())["results"]
    return proc, {r["unique_id"].split(".")[-1]: r["status"] for r in results}


def test_kpi_unit_tests_pass(tmp_path):
    proc, results = _unit_test(DBT_DIR, tmp_path)
    assert proc.returncode == 0, proc.stdout[-6000:]
    assert results == {name: "pass" for name in TESTS}, results


def test_a_wrong_kpi_expectation_fails(tmp_path):
    project = tmp_path / "dbt"
    shutil.copytree(DBT_DIR, project, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages", ".user.yml"))
    yml = project / "models" / "marts" / "outcomes" / "_outcomes.yml"
    text = yml.read_text()
    right = "early_warning_recall: 0.5,"
    assert text.count(right) == 1
    yml.write_text(text.replace(right, "early_warning_recall: 1.0,"))
    work = tmp_path / "work"
    work.mkdir()
    proc, results = _unit_test(project, work)
    assert proc.returncode != 0
    assert results == {TESTS[0]: "fail", TESTS[1]: "pass"}, results
