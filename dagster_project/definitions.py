"""The clientpulse code location: everything declared under ``dagster_project/defs``, plus the
policy that holds for the whole graph.

Every step that touches the DuckDB warehouse runs in the `duckdb_warehouse` pool and, by default,
in one process (in_process_executor): DuckDB allows one writer per file.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg

PROJECT_ROOT = Path(__file__).resolve().parents[1]

defs = dg.Definitions.merge(
    dg.load_from_defs_folder(project_root=PROJECT_ROOT),
    dg.Definitions(executor=dg.in_process_executor),
)
