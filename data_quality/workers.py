"""Worker processes for the steps that split work over the cores (message signals, list workbooks)."""

from __future__ import annotations

import multiprocessing as mp
import os


def worker_context() -> mp.context.BaseContext:
    """Workers start from a clean process (forkserver, else spawn), never by forking this one: a run
    process holds DuckDB's, Dagster's and the allocator's threads, and a child forked while one of
    them held a lock waits for it forever (a 1M-customer run hung in message signals for 30 min)."""
    method = "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"
    return mp.get_context(method)


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity, else the machine's count)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not Linux
        return os.cpu_count() or 1
