"""A BI reader on the published file while a run publishes: every read-only open and query
succeeds, none waits more than a few seconds, and the run is not disturbed (publish builds the
file aside and moves it over with ``os.replace``, so readers keep the old inode)."""

from __future__ import annotations

import os
import threading
import time

import duckdb

from tests.support.cli_process import CliProcess, cli_env
from tests.support.pipeline import SAMPLE_AS_OF

MAX_WAIT_SECONDS = 3.0


def _read_loop(serving: str, stop: threading.Event, results: list[tuple[float, int, int]],
               errors: list[str]) -> None:
    """Open read-only, count a mart, close — until told to stop; (latency, inode, rows) per read."""
    while not stop.is_set():
        started = time.monotonic()
        try:
            inode = os.stat(serving).st_ino
            con = duckdb.connect(serving, read_only=True)
            try:
                rows = con.execute("SELECT count(*) FROM marts.customer_360").fetchone()[0]
            finally:
                con.close()
            results.append((time.monotonic() - started, inode, rows))
        except Exception as exc:  # noqa: BLE001 - every failure is the finding
            errors.append(f"{type(exc).__name__}: {exc}")
        time.sleep(0.05)


def test_a_reader_on_the_serving_file_never_errors_nor_blocks(cli_landing, tmp_path):
    environ = cli_env(tmp_path, cli_landing, tmp_path / "home", as_of=SAMPLE_AS_OF)
    first = CliProcess(["run"], environ)
    assert first.finish(timeout=900) == 0, first.stdout + first.stderr  # the file exists from here on
    serving = str(tmp_path / "serving.duckdb")
    before = os.stat(serving).st_ino

    stop, results, errors = threading.Event(), [], []
    reader = threading.Thread(target=_read_loop, args=(serving, stop, results, errors), daemon=True)
    reader.start()
    run = CliProcess(["run"], environ)
    try:
        rc = run.finish(timeout=900)
        time.sleep(1.0)  # a few reads of the new file
    finally:
        stop.set()
        reader.join(timeout=30)

    assert rc == 0, run.stdout + run.stderr
    assert errors == [], errors[:5]
    assert len(results) >= 20
    assert max(r[0] for r in results) < MAX_WAIT_SECONDS
    inodes = [r[1] for r in results]
    assert inodes[0] == before and inodes[-1] != before  # the reader saw the file replaced under it
    assert all(r[2] > 0 for r in results)
    assert len({r[2] for r in results}) == 1  # same landing, same base: both files give the same count
