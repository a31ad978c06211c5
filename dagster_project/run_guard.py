"""One writer per warehouse, runs that survive their own crash, signals that stop a run promptly.

* **The lock file** ``<warehouse>.lock`` is held with ``flock`` (the kernel drops it when the
  holder dies, however it dies) and says who holds it as JSON: pid, host, process start time,
  started_at, run id, entry point. Every entry point takes it — the CLI for the whole command,
  the ``warehouse`` resource inside every run (UI runs, schedules, sensors) — so runs from
  different ``DAGSTER_HOME``\\ s serialize. Re-entrant within a process. A file that still names a
  holder but is not flocked was left by a crash: it is taken over with a warning.
* **Stale runs**: a run the instance still records as STARTING / STARTED / CANCELING whose
  process is gone (same host, and the pid is dead or now another process) is marked failed with
  the reason, its pool slots freed, and the publish step's leftover temp files removed.
* **Signals**: SIGINT / SIGTERM interrupt the run (Dagster turns them into an execution
  interrupt inside a step); a watcher thread marks the run CANCELING at once and, when a step
  does not stop within the grace time (native code does not see signals), ends the process.
"""

from __future__ import annotations

import datetime as dt
import errno
import json
import os
import re
import select
import signal
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

PID_TAG = "clientpulse/pid"
HOST_TAG = "clientpulse/host"
PID_STARTED_TAG = "clientpulse/pid_started"


class WarehouseLocked(RuntimeError):
    """Another live run holds the warehouse lock for longer than we may wait."""


class WarehouseInUse(RuntimeError):
    """A foreign process (a BI tool, a notebook) holds DuckDB's own lock on the warehouse file."""


class RunInterrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM outside a step (waiting for the lock, between partitions)."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


# ---------------------------------------------------------------- processes
def process_start_time(pid: int) -> str | None:
    """The kernel's start time of ``pid`` (clock ticks since boot): tells a reused pid apart."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rfind(")") + 2:].split()
    return fields[19] if len(fields) > 19 else None


def process_alive(pid: int, started: str | None = None) -> bool:
    """``pid`` runs on this host and, when ``started`` is known, is the same process."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by someone else
    if started:
        now = process_start_time(pid)
        return now is None or now == started
    return True


def this_process() -> dict[str, str]:
    """pid, host and start time of this process: what a lock file and a run's tags record."""
    return {"pid": str(os.getpid()), "host": socket.gethostname(),
            "pid_started": process_start_time(os.getpid()) or ""}


def run_tags() -> dict[str, str]:
    me = this_process()
    return {PID_TAG: me["pid"], HOST_TAG: me["host"], PID_STARTED_TAG: me["pid_started"]}


# ---------------------------------------------------------------- the lock file
@dataclass
class _Held:
    fd: int
    count: int
    info: dict


_HELD: dict[Path, _Held] = {}
_HELD_GUARD = threading.Lock()


def lock_path(warehouse: Path) -> Path:
    warehouse = Path(warehouse).resolve()
    return warehouse.with_name(warehouse.name + ".lock")


def read_holder(path: Path) -> dict | None:
    try:
        text = Path(path).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    if not text:
        return None
    try:
        holder = json.loads(text)
    except ValueError:
        return {"raw": text[:200]}
    return holder if isinstance(holder, dict) else {"raw": text[:200]}


def describe_holder(holder: dict | None) -> str:
    if not holder:
        return "another process (the lock file names no holder)"
    if "raw" in holder:
        return f"another process (unreadable lock file: {holder['raw']!r})"
    entry = holder.get("entry_point") or "a run"
    parts = [f"pid {holder.get('pid')} on host {holder.get('host')}"]
    if holder.get("started_at"):
        parts.append(f"since {holder['started_at']}")
    if holder.get("run_id"):
        parts.append(f"run {holder['run_id']}")
    return f"{entry} ({', '.join(parts)})"


def _stale_reason(holder: dict | None) -> str:
    if not holder or "raw" in holder:
        return "its holder left no readable record"
    if holder.get("host") != socket.gethostname():
        return f"host {holder.get('host')} no longer holds it"
    try:
        pid = int(holder.get("pid"))
    except (TypeError, ValueError):
        return "it names no pid"
    start = process_start_time(pid)
    if start is None:
        return f"pid {pid} is gone"
    if holder.get("pid_started") and start != holder.get("pid_started"):
        return f"pid {pid} is now another process"
    return f"pid {pid} no longer holds it"


def _write(fd: int, info: dict) -> None:
    data = (json.dumps(info, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
    os.ftruncate(fd, 0)
    os.pwrite(fd, data, 0)
    os.fsync(fd)


class WarehouseLock:
    """The warehouse's one-writer lock (see the module docstring); a context manager.

    ``on_wait(message)`` is called once when the lock is busy, ``on_stale(message)`` when a crashed
    holder's lock is taken over. ``wait_seconds`` 0 fails at once."""

    def __init__(self, warehouse: Path, *, entry_point: str, run_id: str | None = None,
                 wait_seconds: float = 600.0, poll_seconds: float = 1.0,
                 on_wait: Callable[[str], None] | None = None,
                 on_stale: Callable[[str], None] | None = None,
                 interrupted: Callable[[], bool] | None = None):
        self.warehouse = Path(warehouse).resolve()
        self.path = lock_path(self.warehouse)
        self.entry_point = entry_point
        self.run_id = run_id
        self.wait_seconds = wait_seconds
        self.poll_seconds = poll_seconds
        self.on_wait = on_wait or (lambda message: None)
        self.on_stale = on_stale or (lambda message: None)
        # a signal Dagster captured (not raised) while a run's resource waits: stop waiting
        self.interrupted = interrupted or (lambda: False)
        self.taken_over: dict | None = None
        self.waited_seconds = 0.0

    def _info(self) -> dict:
        me = this_process()
        return {"pid": int(me["pid"]), "host": me["host"], "pid_started": me["pid_started"],
                "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "run_id": self.run_id, "entry_point": self.entry_point,
                "warehouse": str(self.warehouse)}

    def acquire(self) -> WarehouseLock:
        import fcntl

        with _HELD_GUARD:
            held = _HELD.get(self.path)
            if held is not None:  # this process holds it already (the CLI, then the run's resource)
                held.count += 1
                return self
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        started = time.monotonic()
        told = False
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except OSError as exc:
                    if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                        raise
                holder = read_holder(self.path)
                waited = time.monotonic() - started
                if self.interrupted():
                    raise RunInterrupted(signal.SIGTERM)
                if waited >= self.wait_seconds:
                    raise WarehouseLocked(
                        f"the warehouse {self.warehouse} is locked by {describe_holder(holder)}; "
                        f"gave up after waiting {waited:.0f} s (run.lock_wait_seconds in config/pipeline.yaml)")
                if not told:
                    self.on_wait(f"the warehouse {self.warehouse} is locked by {describe_holder(holder)}; "
                                 f"waiting up to {self.wait_seconds:.0f} s for it")
                    told = True
                time.sleep(min(self.poll_seconds, max(0.05, self.wait_seconds - waited)))
        except BaseException:
            os.close(fd)
            raise
        self.waited_seconds = time.monotonic() - started
        previous = read_holder(self.path)
        if previous:  # flocked by nobody yet it names a holder: that holder died without releasing
            self.taken_over = previous
            self.on_stale(f"took over a stale lock on {self.warehouse} from {describe_holder(previous)}: "
                          f"{_stale_reason(previous)}")
        info = self._info()
        _write(fd, info)
        with _HELD_GUARD:
            _HELD[self.path] = _Held(fd, 1, info)
        return self

    def update(self, **fields) -> None:
        """Record e.g. the current run id of a backfill in the lock file."""
        with _HELD_GUARD:
            held = _HELD.get(self.path)
            if held is not None:
                held.info.update(fields)
                _write(held.fd, held.info)

    def release(self) -> None:
        import fcntl

        with _HELD_GUARD:
            held = _HELD.get(self.path)
            if held is None:
                return
            held.count -= 1
            if held.count > 0:
                return
            del _HELD[self.path]
        try:
            os.ftruncate(held.fd, 0)  # an empty file = nobody; a named holder without flock = crashed
        finally:
            fcntl.flock(held.fd, fcntl.LOCK_UN)
            os.close(held.fd)

    def __enter__(self) -> WarehouseLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


def held_locks() -> list[Path]:
    with _HELD_GUARD:
        return list(_HELD)


def release_all() -> None:
    """Drop every lock this process holds (before a hard exit)."""
    for path in held_locks():
        with _HELD_GUARD:
            held = _HELD.get(path)
            if held:
                held.count = 1
        WarehouseLock(path.with_name(path.name[: -len(".lock")]), entry_point="").release()


# ---------------------------------------------------------------- DuckDB's own lock
_DUCKDB_LOCK = re.compile(r"Conflicting lock is held in (?P<program>.+?) \(PID (?P<pid>\d+)\)")


def duckdb_lock_holder(exc: BaseException) -> tuple[int | None, str] | None:
    """(pid, program) when ``exc`` is DuckDB's "Could not set lock on file" error, else None."""
    text = str(exc)
    if "Could not set lock on file" not in text and "Conflicting lock" not in text:
        return None
    found = _DUCKDB_LOCK.search(text)
    if not found:
        return None, "unknown program"
    return int(found["pid"]), found["program"].strip()


def warehouse_in_use_message(warehouse: Path, pid: int | None, program: str, serving: Path | str | None) -> str:
    bi = f"BI tools should open {serving}" if serving else "BI tools should open the published copy (CLIENTPULSE_SERVING)"
    return f"the warehouse {warehouse} is locked by process {pid} ({program}); {bi}"


def check_warehouse_free(warehouse: Path, serving: Path | None) -> None:
    """Raise WarehouseInUse when a foreign process holds DuckDB's lock on the warehouse file."""
    import duckdb

    warehouse = Path(warehouse)
    if not warehouse.exists():
        return
    try:
        duckdb.connect(str(warehouse)).close()
    except duckdb.Error as exc:
        holder = duckdb_lock_holder(exc)
        if holder is None:
            raise
        raise WarehouseInUse(warehouse_in_use_message(warehouse, holder[0], holder[1], serving)) from exc


# ---------------------------------------------------------------- stale runs
@dataclass(frozen=True)
class StaleRun:
    run_id: str
    status: str
    pid: int
    reason: str


ACTIVE_STATUSES = ("STARTING", "STARTED", "CANCELING")


def recover_stale_runs(instance, host: str | None = None,
                       alive: Callable[[int, str | None], bool] = process_alive) -> list[StaleRun]:
    """Mark failed every active run of ``instance`` whose recorded process is gone; free its slots.

    Only runs that recorded pid + host (``run_tags``: the CLI's runs and every run whose warehouse
    resource started) on this host are judged; others are left to Dagster's run monitoring."""
    import dagster as dg

    host = host or socket.gethostname()
    statuses = [dg.DagsterRunStatus[s] for s in ACTIVE_STATUSES]
    found: list[StaleRun] = []
    for run in instance.get_runs(filters=dg.RunsFilter(statuses=statuses)):
        tags = run.tags or {}
        if tags.get(HOST_TAG) != host or not tags.get(PID_TAG, "").isdigit():
            continue
        pid = int(tags[PID_TAG])
        if pid == os.getpid() or alive(pid, tags.get(PID_STARTED_TAG) or None):
            continue
        reason = (f"process {pid} on {host} ended without finishing run {run.run_id} "
                  f"(killed or crashed); marked failed by the next run")
        instance.report_run_failed(run, message=reason)
        try:
            instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        except NotImplementedError:
            pass
        found.append(StaleRun(run.run_id, run.status.value, pid, reason))
    return found


# ---------------------------------------------------------------- signals
class SignalGuard:
    """SIGINT / SIGTERM during a command: interrupt, mark the run CANCELING, cut off after grace.

    Python handlers raise ``RunInterrupted`` outside steps; inside a step Dagster's own handler
    raises its execution interrupt. Either way the signal also reaches a wake-up pipe that a
    watcher thread reads, so the run is marked CANCELING at once (Dagster then records it as
    CANCELED) and a step stuck in native code is ended after ``grace_seconds``."""

    def __init__(self, grace_seconds: float = 15.0,
                 on_signal: Callable[[int], None] | None = None,
                 on_timeout: Callable[[int], None] | None = None):
        self.grace_seconds = grace_seconds
        self.on_signal = on_signal or (lambda signum: None)
        self.on_timeout = on_timeout or (lambda signum: None)
        self.received: int | None = None
        self._previous: dict[int, object] = {}
        self._pipe: tuple[int, int] | None = None
        self._old_wakeup = -1
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def exit_code(self) -> int:
        return 128 + (self.received or signal.SIGINT)

    def _handler(self, signum, frame):
        self.received = self.received or signum
        raise RunInterrupted(signum)

    def __enter__(self) -> SignalGuard:
        if threading.current_thread() is not threading.main_thread():
            return self
        read_fd, write_fd = os.pipe()
        os.set_blocking(read_fd, False)
        os.set_blocking(write_fd, False)
        self._pipe = (read_fd, write_fd)
        self._old_wakeup = signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
        for signum in (signal.SIGINT, signal.SIGTERM):
            self._previous[signum] = signal.signal(signum, self._handler)
        self._thread = threading.Thread(target=self._watch, name="clientpulse-signals", daemon=True)
        self._thread.start()
        return self

    def _watch(self) -> None:
        assert self._pipe is not None
        read_fd = self._pipe[0]
        deadline = None
        while not self._stop.is_set():
            timeout = 0.2 if deadline is None else max(0.0, min(0.2, deadline - time.monotonic()))
            ready, _, _ = select.select([read_fd], [], [], timeout)
            if ready:
                try:
                    data = os.read(read_fd, 64)
                except BlockingIOError:
                    data = b""
                for signum in data:
                    if signum not in (signal.SIGINT, signal.SIGTERM):
                        continue
                    first = self.received is None or deadline is None
                    self.received = self.received or signum
                    if first:
                        deadline = time.monotonic() + self.grace_seconds
                        try:
                            self.on_signal(signum)
                        except Exception:  # noqa: BLE001 - a report that fails must not stop the watch
                            pass
            if deadline is not None and time.monotonic() >= deadline and not self._stop.is_set():
                try:
                    self.on_timeout(self.received or signal.SIGTERM)
                finally:
                    os._exit(self.exit_code)

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        if self._pipe is not None:
            signal.set_wakeup_fd(self._old_wakeup)
            for signum, handler in self._previous.items():
                signal.signal(signum, handler)
            for fd in self._pipe:
                os.close(fd)
            self._pipe = None
