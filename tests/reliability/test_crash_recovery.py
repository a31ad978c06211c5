"""Fault tests: `kill -9` mid-run, then a rerun; SIGTERM mid-run. `clientpulse run` as a real process.

The published file must stay byte-identical through a killed run; the rerun must take over the
stale lock, mark the dead run failed, remove a dead publish's temp files and complete; SIGTERM
must end a run within 20 s, recorded as CANCELED.
"""

from __future__ import annotations

import hashlib
import json
import signal
import time

import dagster as dg
import duckdb
import pytest

from dagster_project import run_guard
from dagster_project.publish import leftover_files
from tests.support.cli_process import STEP_LINE, CliProcess, cli_env
from tests.support.pipeline import SAMPLE_AS_OF

FIRST_STEP = STEP_LINE.pattern


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _instance(home):
    return dg.DagsterInstance.from_config(str(home))


def _published_before(serving) -> str:
    """A published file from 'yesterday' (any DuckDB file a BI tool reads)."""
    con = duckdb.connect(str(serving))
    con.execute("CREATE SCHEMA marts; CREATE TABLE marts.customer_360 AS SELECT 'CUST-000001' AS customer_id")
    con.close()
    return _digest(serving)


@pytest.fixture(scope="module")
def killed(cli_landing, tmp_path_factory):
    """A run killed with SIGKILL after its first step finished."""
    root = tmp_path_factory.mktemp("killed")
    before = _published_before(root / "serving.duckdb")
    environ = cli_env(root, cli_landing, root / "dagster_home", as_of=SAMPLE_AS_OF)
    run = CliProcess(["run"], environ)
    run.wait_for(FIRST_STEP, timeout=600)
    run.proc.send_signal(signal.SIGKILL)
    run.proc.wait(timeout=30)
    return root, environ, run, before


def test_a_killed_run_leaves_the_published_file_and_a_stale_record(killed):
    root, _, run, before = killed
    assert _digest(root / "serving.duckdb") == before  # byte-identical
    holder = json.loads((root / "warehouse.duckdb.lock").read_text())
    assert holder["pid"] == run.pid and holder["entry_point"] == "clientpulse run"
    with _instance(root / "dagster_home") as instance:
        (record,) = instance.get_runs()
        assert record.status == dg.DagsterRunStatus.STARTED and record.tags[run_guard.PID_TAG] == str(run.pid)


def test_the_rerun_recovers_and_completes(killed):
    root, environ, dead, before = killed
    for leftover in leftover_files(root / "serving.duckdb"):  # as a publish killed mid-way leaves them
        leftover.write_bytes(b"half-built copy")
    rerun = CliProcess(["run"], environ)
    rc = rerun.finish(timeout=1800)  # minutes on a quiet machine; generous for a loaded CI runner
    assert rc == 0, rerun.stdout + rerun.stderr
    out = rerun.stdout
    assert "took over a stale lock" in out and f"pid {dead.pid} is gone" in out
    assert f"its process {dead.pid} is gone: marked failed" in out
    assert out.count("warning: removed") == 2
    assert not any(p.exists() for p in leftover_files(root / "serving.duckdb"))
    with _instance(root / "dagster_home") as instance:
        runs = {r.tags[run_guard.PID_TAG]: r for r in instance.get_runs()}
        assert runs[str(dead.pid)].status == dg.DagsterRunStatus.FAILURE
        assert runs[str(rerun.pid)].status == dg.DagsterRunStatus.SUCCESS
        assert instance.event_log_storage.get_concurrency_info(  # no slot left to the dead run
            "duckdb_warehouse").active_slot_count == 0
    assert _digest(root / "serving.duckdb") != before  # published now, whole
    with duckdb.connect(str(root / "serving.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM marts.customer_360").fetchone()[0] > 100
    assert (root / "warehouse.duckdb.lock").read_text() == ""


def test_sigterm_mid_run_ends_promptly_as_canceled(cli_landing, tmp_path):
    before = _published_before(tmp_path / "serving.duckdb")
    run = CliProcess(["run"], cli_env(tmp_path, cli_landing, tmp_path / "dagster_home", as_of=SAMPLE_AS_OF))
    run.wait_for(FIRST_STEP, timeout=600)
    sent = time.monotonic()
    run.proc.send_signal(signal.SIGTERM)
    rc = run.finish(timeout=60)
    took = time.monotonic() - sent
    assert rc == 128 + signal.SIGTERM, run.stdout + run.stderr
    assert took <= 20, f"{took:.1f}s to stop"
    assert "CANCELED by SIGTERM" in run.stderr and "log:" in run.stderr
    assert _digest(tmp_path / "serving.duckdb") == before
    assert (tmp_path / "warehouse.duckdb.lock").read_text() == ""  # released, not stale
    with _instance(tmp_path / "dagster_home") as instance:
        (record,) = instance.get_runs()
        assert record.status == dg.DagsterRunStatus.CANCELED
