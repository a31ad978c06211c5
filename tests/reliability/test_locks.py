"""Fault tests of the warehouse lock: two runs with different DAGSTER_HOMEs on one warehouse, a
holder that ends while the second waits, and a foreign read-only DuckDB connection on the warehouse."""

from __future__ import annotations

import signal
import sys
import textwrap
import time

import duckdb

from tests.support.cli_process import STEP_LINE, CliProcess, cli_env
from tests.support.pipeline import SAMPLE_AS_OF


def _short_wait(tmp_path, seconds: float):
    config = tmp_path / "config"
    config.mkdir()
    (config / "pipeline.yaml").write_text(f"run:\n  lock_wait_seconds: {seconds}\n  lock_poll_seconds: 0.2\n",
                                          encoding="utf-8")
    return config


def test_a_second_run_waits_then_names_the_holder(cli_landing, tmp_path):
    first = CliProcess(["run"], cli_env(tmp_path, cli_landing, tmp_path / "home_a", as_of=SAMPLE_AS_OF))
    try:
        first.wait_for(r"^as of .*: run ", timeout=300)  # holds the lock from here on
        second = CliProcess(["run"], cli_env(tmp_path, cli_landing, tmp_path / "home_b",
                                             config_dir=_short_wait(tmp_path, 3), as_of=SAMPLE_AS_OF))
        started = time.monotonic()
        rc = second.finish(timeout=120)
        took = time.monotonic() - started
        assert rc == 3, second.stdout + second.stderr
        holder = f"locked by clientpulse run (pid {first.pid} on host"
        assert holder in second.stdout and "waiting up to 3 s" in second.stdout  # said while waiting
        assert holder in second.stderr and "gave up after waiting 3 s" in second.stderr
        assert took < 60
        assert not (tmp_path / "home_b" / "storage").exists() or not any((tmp_path / "home_b").rglob("*.log"))
        assert first.proc.poll() is None  # the holder was not disturbed
    finally:
        first.proc.send_signal(signal.SIGTERM)
        first.finish(timeout=60)


HOLDER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from dagster_project.run_guard import WarehouseLock
    with WarehouseLock(sys.argv[1], entry_point="ui run", run_id="ui-run-1", wait_seconds=0):
        print("held", flush=True)
        while not Path(sys.argv[2]).exists():  # until the test says the run is waiting
            time.sleep(0.1)
""")


def test_a_waiting_run_proceeds_when_the_holder_ends(cli_landing, tmp_path):
    release = tmp_path / "release"
    holder = CliProcess([], {}, argv=[sys.executable, "-c", HOLDER, str(tmp_path / "warehouse.duckdb"), str(release)])
    holder.wait_for("^held$", timeout=60)
    run = CliProcess(["run"], cli_env(tmp_path, cli_landing, tmp_path / "home",
                                      config_dir=_short_wait(tmp_path, 120), as_of=SAMPLE_AS_OF))
    try:
        waiting = run.wait_for("^waiting: ", timeout=120)
        assert f"locked by ui run (pid {holder.pid} on host" in waiting and "run ui-run-1" in waiting
        release.touch()
        assert holder.finish(timeout=60) == 0
        run.wait_for(STEP_LINE.pattern, timeout=600)  # got the lock, steps run
        assert "took over a stale lock" not in run.stdout  # a clean release is not stale
    finally:
        run.proc.send_signal(signal.SIGTERM)
        run.finish(timeout=60)
        holder.kill()


def test_a_read_only_connection_on_the_warehouse_is_named(cli_landing, tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    duckdb.connect(str(warehouse)).close()
    reader = CliProcess([], {}, argv=[sys.executable, "-c", textwrap.dedent(f"""
        import duckdb, time
        con = duckdb.connect({str(warehouse)!r}, read_only=True)  # DBeaver with read-only on
        print("open", flush=True)
        time.sleep(120)
    """)])
    try:
        reader.wait_for("^open$", timeout=60)
        run = CliProcess(["run"], cli_env(tmp_path, cli_landing, tmp_path / "home", as_of=SAMPLE_AS_OF))
        rc = run.finish(timeout=300)
        assert rc == 3, run.stdout + run.stderr
        expected = f"error: the warehouse {warehouse} is locked by process {reader.pid} ("
        assert expected in run.stderr, run.stderr
        assert f"); BI tools should open {tmp_path / 'serving.duckdb'}" in run.stderr
        assert "Traceback" not in run.stderr and not STEP_LINE.search(run.stdout or "-")
    finally:
        reader.kill()
    assert (tmp_path / "warehouse.duckdb.lock").read_text() == ""
