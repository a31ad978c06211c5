"""run_guard: the warehouse lock file, stale-run recovery and the signal guard, without a pipeline."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import dagster as dg
import duckdb
import pytest

from dagster_project import run_guard
from dagster_project.publish import leftover_files, remove_leftovers

HOLDER = textwrap.dedent("""
    import sys, time
    from dagster_project.run_guard import WarehouseLock
    with WarehouseLock(sys.argv[1], entry_point="test holder", run_id="run-holder", wait_seconds=0):
        print("held", flush=True)
        time.sleep(float(sys.argv[2]))
""")


def _holder(warehouse, seconds: float) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(warehouse), str(seconds)],
                            stdout=subprocess.PIPE, text=True, cwd=os.getcwd())
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_lock_file_names_the_holder_and_is_emptied_on_release(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    with run_guard.WarehouseLock(warehouse, entry_point="clientpulse run", run_id="r1", wait_seconds=0) as lock:
        holder = json.loads(lock.path.read_text())
        assert lock.path == tmp_path / "w.duckdb.lock"
        assert holder["pid"] == os.getpid() and holder["run_id"] == "r1" and holder["entry_point"] == "clientpulse run"
        assert holder["pid_started"] == run_guard.process_start_time(os.getpid())
        # the run's own resource takes it again in the same process: re-entrant, no wait
        with run_guard.WarehouseLock(warehouse, entry_point="dagster run", wait_seconds=0):
            pass
        assert json.loads(lock.path.read_text())["run_id"] == "r1"  # still held by the outer one
        lock.update(run_id="r2")
        assert json.loads(lock.path.read_text())["run_id"] == "r2"
    assert lock.path.read_text() == ""  # released: nobody named


def test_a_second_process_waits_then_reports_the_holder(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    proc = _holder(warehouse, 30)
    try:
        waits = []
        started = time.monotonic()
        with pytest.raises(run_guard.WarehouseLocked) as failure:
            run_guard.WarehouseLock(warehouse, entry_point="clientpulse run", wait_seconds=1.5, poll_seconds=0.2,
                                    on_wait=waits.append).acquire()
        waited = time.monotonic() - started
        assert 1.4 <= waited < 10
        message = str(failure.value)
        assert f"pid {proc.pid}" in message and "test holder" in message and "run run-holder" in message
        assert "lock_wait_seconds" in message
        assert len(waits) == 1 and f"pid {proc.pid}" in waits[0] and "waiting up to 2 s" in waits[0]
    finally:
        proc.kill()
        proc.wait()


def test_the_second_process_proceeds_when_the_holder_ends(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    proc = _holder(warehouse, 1.0)
    try:
        lock = run_guard.WarehouseLock(warehouse, entry_point="clientpulse run", wait_seconds=30, poll_seconds=0.1)
        with lock:
            assert json.loads(lock.path.read_text())["pid"] == os.getpid()
        assert 0.3 < lock.waited_seconds < 20 and lock.taken_over is None  # released cleanly, not stale
    finally:
        proc.wait()


def test_a_killed_holders_lock_is_taken_over_with_a_warning(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    proc = _holder(warehouse, 60)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert json.loads(run_guard.lock_path(warehouse).read_text())["pid"] == proc.pid  # the record survives
    warnings = []
    with run_guard.WarehouseLock(warehouse, entry_point="clientpulse run", wait_seconds=0,
                                 on_stale=warnings.append) as lock:
        assert lock.taken_over["pid"] == proc.pid
    assert len(warnings) == 1 and f"pid {proc.pid}" in warnings[0] and f"pid {proc.pid} is gone" in warnings[0]


def test_process_alive_tells_a_reused_pid_apart():
    me = os.getpid()
    assert run_guard.process_alive(me, run_guard.process_start_time(me))
    assert not run_guard.process_alive(me, "1")  # same pid, another start time
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    assert not run_guard.process_alive(dead.pid)


def test_duckdb_lock_error_names_the_program_and_the_serving_file(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    duckdb.connect(str(warehouse)).close()
    reader = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import duckdb, time
        con = duckdb.connect({str(warehouse)!r}, read_only=True)
        print("open", flush=True)
        time.sleep(60)
    """)], stdout=subprocess.PIPE, text=True)
    try:
        assert reader.stdout.readline().strip() == "open"
        with pytest.raises(run_guard.WarehouseInUse) as failure:
            run_guard.check_warehouse_free(warehouse, tmp_path / "serving.duckdb")
        message = str(failure.value)
        assert message.startswith(f"the warehouse {warehouse} is locked by process {reader.pid} (")
        assert message.endswith(f"BI tools should open {tmp_path / 'serving.duckdb'}")
    finally:
        reader.kill()
        reader.wait()
    run_guard.check_warehouse_free(warehouse, None)  # free again: no error
    assert run_guard.duckdb_lock_holder(ValueError("something else")) is None


def test_stale_runs_are_marked_failed_and_their_pool_slots_freed(tmp_path):
    with dg.DagsterInstance.local_temp(str(tmp_path)) as instance:
        dead = subprocess.Popen([sys.executable, "-c", "pass"])
        dead.wait()
        host = run_guard.this_process()["host"]
        runs = {}
        for name, pid, run_host in (("dead", dead.pid, host), ("alive", os.getpid() + 0, host),
                                    ("other_host", dead.pid, "elsewhere")):
            run = dg.DagsterRun(job_name="daily_refresh", status=dg.DagsterRunStatus.STARTED,
                                tags={run_guard.PID_TAG: str(pid), run_guard.HOST_TAG: run_host})
            instance.add_run(run)
            runs[name] = run.run_id
        untagged = dg.DagsterRun(job_name="daily_refresh", status=dg.DagsterRunStatus.STARTED)
        instance.add_run(untagged)
        storage = instance.event_log_storage
        storage.set_concurrency_slots("duckdb_warehouse", 1)
        storage.claim_concurrency_slot("duckdb_warehouse", runs["dead"], "ingest_landing")
        assert storage.get_concurrency_info("duckdb_warehouse").active_slot_count == 1

        # the "alive" run is this very process: never judged stale
        found = run_guard.recover_stale_runs(instance, host=host)

        assert [s.run_id for s in found] == [runs["dead"]]
        assert instance.get_run_by_id(runs["dead"]).status == dg.DagsterRunStatus.FAILURE
        for name in ("alive", "other_host"):
            assert instance.get_run_by_id(runs[name]).status == dg.DagsterRunStatus.STARTED
        assert instance.get_run_by_id(untagged.run_id).status == dg.DagsterRunStatus.STARTED
        assert storage.get_concurrency_info("duckdb_warehouse").active_slot_count == 0
        assert f"process {dead.pid}" in found[0].reason
        assert run_guard.recover_stale_runs(instance, host=host) == []  # once only


def test_publish_leftovers_are_removed_and_nothing_else(tmp_path):
    serving = tmp_path / "serving.duckdb"
    serving.write_bytes(b"published")
    for path in leftover_files(serving):
        path.write_bytes(b"half-built")
    assert sorted(p.name for p in remove_leftovers(serving)) == ["serving.duckdb.tmp", "serving.duckdb.tmp.wal"]
    assert serving.read_bytes() == b"published" and sorted(p.name for p in tmp_path.iterdir()) == ["serving.duckdb"]
    assert remove_leftovers(serving) == []


def test_sigterm_while_waiting_interrupts_promptly_and_marks_the_run():
    calls = []
    with run_guard.SignalGuard(grace_seconds=30, on_signal=calls.append) as guard:
        threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGTERM)).start()
        started = time.monotonic()
        with pytest.raises(run_guard.RunInterrupted) as interrupted:
            time.sleep(10)
        assert time.monotonic() - started < 5
        deadline = time.monotonic() + 3
        while not calls and time.monotonic() < deadline:
            time.sleep(0.05)
    assert interrupted.value.signum == signal.SIGTERM and guard.exit_code == 143
    assert calls == [signal.SIGTERM]  # the watcher thread reported it (marks the run CANCELING)
    assert signal.getsignal(signal.SIGTERM) is not guard._handler  # handlers restored


def test_a_captured_interrupt_stops_the_wait_at_the_next_poll(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    proc = _holder(warehouse, 30)
    try:
        polls = []
        started = time.monotonic()
        with pytest.raises(run_guard.RunInterrupted):
            run_guard.WarehouseLock(warehouse, entry_point="dagster run", wait_seconds=60, poll_seconds=0.1,
                                    interrupted=lambda: polls.append(1) or len(polls) >= 3).acquire()
        assert time.monotonic() - started < 5 and len(polls) == 3
    finally:
        proc.kill()
        proc.wait()
