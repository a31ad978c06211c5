"""console: the root cause behind Dagster's wrappers, one line per step, warnings once, the log file."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import dagster as dg
import pytest
from dagster_shared.error import SerializableErrorInfo

from dagster_project import console


def _error(cls_name: str, message: str, cause=None) -> SerializableErrorInfo:
    return SerializableErrorInfo(message=f"{cls_name}: {message}\n", stack=[], cls_name=cls_name, cause=cause)


def test_root_cause_skips_dagsters_wrapper_and_keeps_what_caused_it():
    inner = SerializableErrorInfo(message="_duckdb.IOException: IO Error: disk full\n", stack=[], cls_name="IOException")
    user = _error("ValueError", "crm_export.yaml: unknown fields ['phone']", cause=inner)
    wrapper = _error("DagsterExecutionStepExecutionError", 'Error occurred while executing op "ingest_landing":',
                     cause=user)
    cause = console.root_cause(wrapper)
    assert cause.cls_name == "ValueError"
    assert cause.lines() == ["ValueError: crm_export.yaml: unknown fields ['phone']",
                             "caused by IOException: IO Error: disk full"]


def test_root_cause_of_a_plain_error_and_of_wrappers_only():
    assert console.root_cause(_error("KeyError", "'amount'")).lines() == ["KeyError: 'amount'"]
    only = console.root_cause(_error("DagsterResourceFunctionError", "resource failed"))
    assert only.lines() == ["DagsterResourceFunctionError: resource failed"]


def test_one_line_per_step_with_duration_warnings_once_and_the_failing_steps_cause(tmp_path):
    @dg.op
    def load(context) -> int:
        context.log.warning("3 rows without a date\nsecond line only in the log")
        context.log.warning("3 rows without a date\nsecond line only in the log")  # said twice, shown once
        context.log.info("info lines stay in the log")
        return 1

    @dg.op
    def explode(context, value: int) -> None:
        raise ValueError("crm_export.yaml: unknown fields ['phone']")

    @dg.graph
    def tiny():
        explode(load())

    job = tiny.to_job()
    out, err = io.StringIO(), io.StringIO()
    view = console.RunConsole(console.Streams(out, err, tty=False), total_steps=console.step_count(job))
    with dg.DagsterInstance.local_temp(str(tmp_path)) as instance:
        from dagster._core.utils import make_new_run_id

        run_id = make_new_run_id()
        instance.add_event_listener(run_id, view.on_event)
        result = job.execute_in_process(instance=instance, run_id=run_id, raise_on_error=False)
    assert not result.success
    lines = out.getvalue().splitlines()
    assert len(lines) == 3, lines
    assert lines[0].startswith("        warning load: 3 rows without a date")
    assert "second line" not in out.getvalue() and "info lines" not in out.getvalue()
    assert lines[1].startswith("[1/2] ok      load") and lines[1].rstrip().endswith("s")
    assert lines[2].startswith("[2/2] FAILED  explode")
    assert "\x1b[" not in out.getvalue()  # plain text when not a terminal
    assert view.failure_lines() == ["  step explode: ValueError: crm_export.yaml: unknown fields ['phone']"]
    assert view.warnings == [("load", "3 rows without a date")]


def test_a_step_that_warns_a_lot_gets_one_more_line():
    out = io.StringIO()
    view = console.RunConsole(console.Streams(out, io.StringIO(), tty=False), total_steps=1)
    view._handle(_Record("dbt_marts", "STEP_START"))
    view.warn("dbt_marts", "Logging an `AssetObservation` instead of an `AssetCheckResult` for dbt test `x`")
    for n in range(console.WARNINGS_PER_STEP + 5):
        view.warn("dbt_marts", f"{n + 1} rows of stg_orders without a customer")
    view._handle(_Record("dbt_marts", "STEP_SUCCESS"))
    lines = out.getvalue().splitlines()
    assert len(lines) == console.WARNINGS_PER_STEP + 2, lines
    assert lines[-2].startswith("[1/1] ok      dbt_marts")
    assert lines[-1] == "        warning dbt_marts: 5 more warning(s) in the log"
    assert len(view.warnings) == console.WARNINGS_PER_STEP + 5


def test_a_failed_check_is_named_on_its_steps_line_not_on_a_line_of_its_own():
    out = io.StringIO()
    view = console.RunConsole(console.Streams(out, io.StringIO(), tty=False), total_steps=1)
    view._handle(_Record("identity_resolution", "STEP_START"))
    view.warn("identity_resolution", "m probabilities from config: 198 records < min_records_for_training")
    check = type("Check", (), {"passed": False, "check_name": "identity_model_trained",
                               "severity": type("Severity", (), {"value": "WARN"})(),
                               "asset_key": type("Key", (), {"path": ["core", "customer_identity"]})()})()
    record = _Record("identity_resolution", "ASSET_CHECK_EVALUATION")
    record.dagster_event.event_specific_data = check
    view._handle(record)
    view._handle(_Record("identity_resolution", "STEP_SUCCESS"))
    lines = out.getvalue().splitlines()
    assert len(lines) == 2, lines
    assert lines[1].startswith("[1/1] ok      identity_resolution")
    assert lines[1].endswith("checks not passed: WARN identity_model_trained")


class _Record:
    """The two attributes of a Dagster event-log entry the console reads, for a step event."""

    def __init__(self, step: str, kind: str):
        self.step_key = step
        self.level = 20
        self.timestamp = 1000.0 if kind == "STEP_START" else 1002.5
        self.dagster_event = type("Event", (), {"event_type_value": kind, "step_key": step,
                                                "event_specific_data": None})()


def test_long_warnings_are_cut():
    out = io.StringIO()
    view = console.RunConsole(console.Streams(out, io.StringIO(), tty=False))
    view.warn("step", "x" * 500)
    assert len(out.getvalue().strip()) < console.WARNING_WIDTH + 40 and out.getvalue().rstrip().endswith("…")


def test_output_to_sends_subprocess_and_python_output_to_the_log(tmp_path):
    log = tmp_path / "run.log"
    with console.output_to(log):
        subprocess.run([sys.executable, "-c", "print('from dbt, a subprocess')"], check=True)
        os.write(1, b"from native code\n")
        print("from python", file=sys.stderr)
    text = log.read_text()
    assert "from dbt, a subprocess" in text and "from native code" in text


@pytest.mark.parametrize("writable", [True, False])
def test_log_path_lives_beside_the_warehouse_or_falls_back(tmp_path, writable):
    data_dir = tmp_path / "data"
    if not writable:
        data_dir.write_text("a file where the folder should be")
    path = console.log_path_for(data_dir, "2026-11-15", "7583479d-87b3-4897", fallback=tmp_path / "home")
    expected = (data_dir if writable else tmp_path / "home") / "logs" / "run-2026-11-15-7583479d.log"
    assert path == expected and path.parent.is_dir()


def test_on_a_terminal_the_spinner_runs_and_the_step_lines_stay():
    out = io.StringIO()
    view = console.RunConsole(console.Streams(out, io.StringIO(), tty=True), total_steps=1)
    view.start()
    try:
        view._handle(_Record("ingest_landing", "STEP_START"))
        assert view._tasks  # the running step has a spinner task
        view._handle(_Record("ingest_landing", "STEP_SUCCESS"))
        assert not view._tasks
    finally:
        view.stop()
    assert "[1/1] ok      ingest_landing" in out.getvalue() and "2.5s" in out.getvalue()
