"""The console of `clientpulse run` as a process: one line per step, dbt in the log, the root cause on failure.

One real run of a small sample (success) and one run whose first Python step raises a ValueError
(patched in the child before the CLI starts): the console must show the step, `ValueError: <msg>`
and the log path — not Dagster's step-execution wrapper — and exit non-zero.
"""

from __future__ import annotations

import re
import sys
import textwrap
from pathlib import Path

import pytest

from tests.support.cli_process import STEP_LINE, CliProcess, cli_env
from tests.support.pipeline import SAMPLE_AS_OF


@pytest.fixture(scope="module")
def success(cli_landing, tmp_path_factory):
    root = tmp_path_factory.mktemp("console_ok")
    run = CliProcess(["run"], cli_env(root, cli_landing, root / "dagster_home", as_of=SAMPLE_AS_OF))
    rc = run.finish(timeout=1800)  # minutes on a quiet machine; generous for a loaded CI runner
    return root, run, rc


def _log_path(text: str) -> Path:
    found = re.search(r"log:? (\S+\.log)", text)
    assert found, text
    return Path(found.group(1))


def test_a_successful_run_prints_one_line_per_step_and_nothing_of_dbt(success):
    root, run, rc = success
    assert rc == 0, run.stderr
    out = run.stdout
    run_part = out.split("\nrows per layer")[0].splitlines()  # the summary follows the run
    steps = [line for line in run_part if STEP_LINE.match(line)]
    names = [re.match(r"^\[\s*\d+/\d+\] \S+\s+(\S+)", line).group(1) for line in steps]
    assert len(steps) >= 15 and len(names) == len(set(names)), run_part  # each step once
    assert {"ingest_landing", "identity_resolution"} <= set(names)
    assert any(n.startswith("dbt_") for n in names)
    assert all(re.search(r"\d+(\.\d)?s(  checks not passed: .+)?$|\d+m\d\ds(  checks not passed: .+)?$", line) for line in steps)  # a duration each
    assert steps[-1].startswith(f"[{len(steps)}/{len(steps)}]")  # the counter ends at the total
    other = [line for line in run_part if not STEP_LINE.match(line)]
    assert len(other) <= 15, "\n".join(run_part)  # header, footer and the sample's real warnings
    assert not any("did not pass" in line for line in other)  # failed checks sit on their step's line
    for noise in ("--vars", "Running with dbt", " of 40 START", "Concurrency:", "RUN_START", "STEP_START"):
        assert noise not in out and noise not in run.stderr
    assert "\x1b[" not in out  # not a terminal: plain text
    log = _log_path(out)
    assert log.parent == root / "logs" and log.name.startswith(f"run-{SAMPLE_AS_OF}-")
    assert out.count(str(log)) == 2  # printed at start and at the end
    text = log.read_text(encoding="utf-8", errors="replace")
    assert "Running with dbt" in text and "--vars" in text  # what left the console is in the log
    # only the run's first dbt step parses the project; the later ones reuse its partial parse
    assert text.count("Running with dbt") >= 3 and text.count("Unable to do partial parsing") <= 2


def test_the_lock_is_released_and_the_run_recorded_with_its_process(success):
    root, run, rc = success
    assert (root / "warehouse.duckdb.lock").read_text() == ""
    import dagster as dg

    from dagster_project import run_guard

    with dg.DagsterInstance.from_config(str(root / "dagster_home")) as instance:
        (record,) = instance.get_runs()
        assert record.status == dg.DagsterRunStatus.SUCCESS
        assert record.tags[run_guard.PID_TAG] == str(run.pid)


FAILING = textwrap.dedent("""
    import sys
    import dagster_project.defs.ingest.assets as ingest

    def broken(*args, **kwargs):
        raise ValueError("crm_export.yaml: unknown fields ['phone']")

    ingest.ingest_landing = broken  # the asset looks the name up when it runs
    from dagster_project.cli import main
    sys.exit(main(["run"]))
""")


def test_a_failing_step_shows_the_root_cause_the_step_and_the_log(cli_landing, tmp_path):
    import dagster_project.defs.ingest.assets as ingest

    assert callable(getattr(ingest, "ingest_landing", None)), \
        "the ingest asset no longer calls ingest_landing: patch another function"
    run = CliProcess([], cli_env(tmp_path, cli_landing, tmp_path / "dagster_home", as_of=SAMPLE_AS_OF),
                     argv=[sys.executable, "-c", FAILING])
    rc = run.finish(timeout=600)
    assert rc == 1, run.stdout + run.stderr
    err = run.stderr
    assert "  step ingest_landing: ValueError: crm_export.yaml: unknown fields ['phone']" in err, err
    assert "DagsterExecutionStepExecutionError" not in err and "Traceback" not in err
    assert any(line.startswith("[") and "FAILED  ingest_landing" in line for line in run.out)
    log = _log_path(err)
    assert log.exists() and "ValueError" in log.read_text(encoding="utf-8", errors="replace")
    assert len(err.splitlines()) <= 6, err
