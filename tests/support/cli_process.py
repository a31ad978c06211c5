"""`clientpulse` as a child process, the way cron or a shell runs it: its own environment, stdout
read line by line while it runs (so a test can act after the first steps), signals sent to it."""

from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STEP_LINE = re.compile(r"^\[\s*\d+/[\d?]+\] (ok|FAILED|skipped)\s+\S+\s+\S+(  checks not passed: .+)?$")


def cli_env(root: Path, landing: Path, home: Path, config_dir: Path | None = None,
            as_of: str | None = None) -> dict[str, str]:
    """The environment of a run whose warehouse, serving file and Dagster instance are under ``root``."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("CLIENTPULSE_")}
    environ.update(CLIENTPULSE_LANDING_DIR=str(landing), CLIENTPULSE_WAREHOUSE=str(root / "warehouse.duckdb"),
                   CLIENTPULSE_SERVING=str(root / "serving.duckdb"), DAGSTER_HOME=str(home),
                   PYTHONUNBUFFERED="1")
    if config_dir is not None:
        environ["CLIENTPULSE_CONFIG_DIR"] = str(config_dir)
    if as_of:
        environ["CLIENTPULSE_AS_OF"] = as_of
    return environ


class CliProcess:
    """A running `python -m dagster_project.cli ...` (or any ``argv``) with its output collected."""

    def __init__(self, args: list[str], environ: dict[str, str], argv: list[str] | None = None):
        self.proc = subprocess.Popen(argv or [sys.executable, "-m", "dagster_project.cli", *args], cwd=ROOT,
                                     env=environ, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     encoding="utf-8", errors="replace")
        self.pid = self.proc.pid
        self.out: list[str] = []
        self.err: list[str] = []
        self._lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, args=(self.proc.stdout, self.out, True), daemon=True).start()
        threading.Thread(target=self._pump, args=(self.proc.stderr, self.err, False), daemon=True).start()

    def _pump(self, stream, sink: list[str], notify: bool) -> None:
        for line in stream:
            sink.append(line.rstrip("\n"))
            if notify:
                self._lines.put(line.rstrip("\n"))

    def wait_for(self, pattern: str, timeout: float) -> str:
        """The first stdout line matching ``pattern`` (regex); fails if the process ends first."""
        deadline = time.monotonic() + timeout
        for line in list(self.out):
            if re.search(pattern, line):
                return line
        while time.monotonic() < deadline:
            try:
                line = self._lines.get(timeout=0.2)
            except queue.Empty:
                if self.proc.poll() is not None and self._lines.empty():
                    break
                continue
            if re.search(pattern, line):
                return line
        raise AssertionError(f"no line matching {pattern!r} within {timeout}s; rc={self.proc.poll()}\n"
                             f"stdout:\n" + "\n".join(self.out) + "\nstderr:\n" + "\n".join(self.err))

    def finish(self, timeout: float) -> int:
        rc = self.proc.wait(timeout=timeout)
        time.sleep(0.2)  # let the readers drain the pipes
        return rc

    @property
    def stdout(self) -> str:
        return "\n".join(self.out)

    @property
    def stderr(self) -> str:
        return "\n".join(self.err)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
