"""The console of `clientpulse run` / `backfill`: one line per step, the rest in a run log file.

A run's console shows one line per Dagster step (op) with its duration, each warning once with its
step, the asset checks that did not pass on the line of the step that evaluated them, and on
failure the root cause — the user's exception behind Dagster's step-execution
wrapper — with the step and the log path. Everything else (dbt's progress, Splink, library
prints, Dagster's full event log) goes to ``<data dir>/logs/run-<as_of>-<run id>.log``: the
process's stdout and stderr file descriptors point there while the run executes, so subprocess
output (dbt) lands there too. On a terminal a ``rich`` spinner shows the running step; when stdout
is not a terminal the lines are plain text without ANSI codes.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

WARNING_WIDTH = 160
WARNINGS_PER_STEP = 3  # a step that warns more gets one "N more" line
# library notices about Dagster itself, not about the data: log file only
LIBRARY_NOTICES = ("Logging an `AssetObservation` instead of an `AssetCheckResult`",)


# ---------------------------------------------------------------- root cause of a failure
@dataclass(frozen=True)
class RootCause:
    cls_name: str
    message: str
    causes: tuple[str, ...] = ()

    def lines(self) -> list[str]:
        text = self.message.strip().splitlines() or [""]
        out = [f"{self.cls_name}: {text[0]}".rstrip(": ")] + [f"  {line}" for line in text[1:12]]
        out += [f"caused by {c}" for c in self.causes]
        return out


def _plain_message(error) -> str:
    message = (getattr(error, "message", "") or "").strip()
    name = getattr(error, "cls_name", None) or ""
    head, sep, rest = message.partition(": ")
    if sep and name and head.split(".")[-1] == name:
        return rest
    return message


def _is_wrapper(error) -> bool:
    return (getattr(error, "cls_name", None) or "").startswith("Dagster")


def root_cause(error) -> RootCause:
    """The user's exception behind Dagster's wrappers (``error.cause`` chain of a
    SerializableErrorInfo), with what caused it in turn, innermost last."""
    chain = []
    node = error
    while node is not None and len(chain) < 20:
        chain.append(node)
        node = node.cause
    users = [e for e in chain if not _is_wrapper(e)]
    if not users:
        last = chain[-1]
        return RootCause(last.cls_name or "Error", _plain_message(last))
    first = users[0]
    causes = tuple(f"{e.cls_name}: {_plain_message(e).splitlines()[0] if _plain_message(e) else ''}".rstrip(": ")
                   for e in users[1:])
    return RootCause(first.cls_name or "Error", _plain_message(first), causes)


# ---------------------------------------------------------------- the run log file
def log_path_for(data_dir: Path, as_of: str, run_id: str, fallback: Path | None = None) -> Path:
    """``<data dir>/logs/run-<as_of>-<run id>.log``; ``fallback``/logs when the data dir is unusable."""
    for base in (Path(data_dir), fallback):
        if base is None:
            continue
        folder = base / "logs"
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        return folder / f"run-{as_of}-{run_id[:8]}.log"
    import tempfile

    return Path(tempfile.gettempdir()) / f"clientpulse-run-{as_of}-{run_id[:8]}.log"


@dataclass
class Streams:
    """Where the console writes while the process's stdout/stderr point at the log."""

    out: TextIO
    err: TextIO
    tty: bool


def console_streams() -> Streams:
    """Copies of the current stdout / stderr that survive the redirection of fds 1 and 2."""

    def keep(stream: TextIO, fd: int) -> TextIO:
        try:
            if stream.fileno() == fd:
                return os.fdopen(os.dup(fd), "w", buffering=1, encoding="utf-8", errors="replace")
        except (AttributeError, OSError, ValueError):
            pass
        return stream  # already not the process fd (a test's capture): write to it as it is

    out = keep(sys.stdout, 1)
    err = keep(sys.stderr, 2)
    try:
        tty = out.isatty()
    except (AttributeError, ValueError):
        tty = False
    return Streams(out, err, tty)


@contextmanager
def output_to(log_file: Path) -> Iterator[None]:
    """Point file descriptors 1 and 2 (and so sys.stdout/err, dbt's subprocess, C libraries) at
    ``log_file`` for the duration; restore them after."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = (os.dup(1), os.dup(2))
    log_fd = os.open(log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.dup2(log_fd, 1)
        os.dup2(log_fd, 2)
        yield
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except (OSError, ValueError):
            pass
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in (*saved, log_fd):
            os.close(fd)


# ---------------------------------------------------------------- step lines
def _fmt_seconds(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, rest = divmod(int(round(seconds)), 60)
    return f"{minutes}m{rest:02d}s"


def _brief(text: str) -> str:
    line = " ".join((text or "").strip().splitlines()[0].split()) if (text or "").strip() else ""
    return line if len(line) <= WARNING_WIDTH else line[: WARNING_WIDTH - 1] + "…"


@dataclass
class StepState:
    started: float
    finished: float | None = None
    status: str = "running"


@dataclass
class RunConsole:
    """Receives the run's Dagster events (``instance.add_event_listener``) and writes the lines."""

    streams: Streams
    total_steps: int | None = None
    steps: dict[str, StepState] = field(default_factory=dict)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    failures: list[tuple[str, RootCause]] = field(default_factory=list)
    run_failure: RootCause | None = None
    _seen: set = field(default_factory=set)
    _hidden: dict = field(default_factory=dict)
    _failed_checks: dict = field(default_factory=dict)
    _progress: object | None = None
    _tasks: dict = field(default_factory=dict)

    # ---- output
    def print(self, text: str = "", err: bool = False) -> None:
        stream = self.streams.err if err else self.streams.out
        if self._progress is not None and not err:
            self._progress.console.print(text, markup=False, highlight=False, soft_wrap=True)
        else:
            print(text, file=stream, flush=True)

    def _counter(self) -> str:
        done = sum(1 for s in self.steps.values() if s.finished is not None)
        total = self.total_steps if self.total_steps and self.total_steps >= done else "?"
        width = len(str(total))
        return f"[{done:>{width}}/{total}]"

    def start(self) -> None:
        if self.streams.tty:
            from rich.console import Console
            from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

            self._progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                                      console=Console(file=self.streams.out), transient=True)
            self._progress.start()

    def stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    # ---- events
    def on_event(self, record) -> None:
        """Dagster event-log callback; never raises (a console bug must not fail a run)."""
        try:
            self._handle(record)
        except Exception:  # noqa: BLE001
            pass

    def _handle(self, record) -> None:
        event = getattr(record, "dagster_event", None)
        step = getattr(record, "step_key", None) or (event.step_key if event else None)
        if event is None:
            if record.level >= 30 and step:  # logging.WARNING and above from a step
                self.warn(step, record.user_message)
            return
        kind = event.event_type_value
        now = getattr(record, "timestamp", None) or time.time()
        if kind == "STEP_START":
            self.steps[step] = StepState(started=now)
            if self._progress is not None:
                self._tasks[step] = self._progress.add_task(step, total=None)
        elif kind in ("STEP_SUCCESS", "STEP_FAILURE", "STEP_SKIPPED"):
            state = self.steps.setdefault(step, StepState(started=now))
            state.finished = now
            state.status = {"STEP_SUCCESS": "ok", "STEP_FAILURE": "FAILED", "STEP_SKIPPED": "skipped"}[kind]
            if kind == "STEP_FAILURE":
                error = getattr(event.event_specific_data, "error", None)
                if error is not None:
                    self.failures.append((step, root_cause(error)))
            self._end_line(step, state)
        elif kind == "ASSET_CHECK_EVALUATION":
            data = event.event_specific_data
            if data is not None and not data.passed:
                severity = getattr(getattr(data, "severity", None), "value", "ERROR")
                if step:  # shown on the step's own line when it ends
                    self._failed_checks.setdefault(step, []).append(f"{severity} {data.check_name}")
                else:
                    asset = "/".join(data.asset_key.path)
                    self.warn(asset, f"check {data.check_name} on {asset} did not pass ({severity})")
        elif kind == "PIPELINE_FAILURE":
            error = getattr(event.event_specific_data, "error", None)
            if error is not None and not self.failures:
                self.run_failure = root_cause(error)

    def _end_line(self, step: str, state: StepState) -> None:
        if self._progress is not None and step in self._tasks:
            self._progress.remove_task(self._tasks.pop(step))
        seconds = (state.finished or state.started) - state.started
        mark = {"ok": "ok", "FAILED": "FAILED", "skipped": "skipped"}[state.status]
        checks = self._failed_checks.pop(step, [])
        failed = f"  checks not passed: {', '.join(checks)}" if checks else ""
        self.print(f"{self._counter()} {mark:<7} {step:<44} {_fmt_seconds(seconds):>7}{failed}")
        hidden = self._hidden.pop(step, 0)
        if hidden:
            self.print(f"        warning {step}: {hidden} more warning(s) in the log")

    def warn(self, step: str, message: str) -> None:
        text = _brief(message)
        key = (step, text)
        if not text or key in self._seen or text.startswith(LIBRARY_NOTICES):
            return
        self._seen.add(key)
        self.warnings.append(key)
        if sum(1 for s, _ in self.warnings if s == step) > WARNINGS_PER_STEP:
            self._hidden[step] = self._hidden.get(step, 0) + 1
            return
        self.print(f"        warning {step}: {text}")

    def failure_lines(self) -> list[str]:
        """What the operator needs: the failing step and its root cause (not Dagster's wrapper)."""
        lines = []
        for step, cause in self.failures:
            body = cause.lines()
            lines.append(f"  step {step}: {body[0]}")
            lines += [f"    {line}" for line in body[1:]]
        if not lines and self.run_failure is not None:
            body = self.run_failure.lines()
            lines.append(f"  run: {body[0]}")
            lines += [f"    {line}" for line in body[1:]]
        return lines


def step_count(job) -> int | None:
    """Number of steps the job's plan runs (one per op), for the [done/total] counter."""
    try:
        return len(job.graph.node_dict)
    except Exception:  # noqa: BLE001 - only a counter
        return None


def fmt_seconds(seconds: float) -> str:
    return _fmt_seconds(seconds)
