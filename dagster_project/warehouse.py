"""One way to open the warehouse, used by every Python step.

DuckDB refuses a second connection to the same file with a different configuration inside one
process, and allows one writing process per file: every step opens it the same way, in the
``duckdb_warehouse`` pool (limit 1), and closes it before dbt runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb


@contextmanager
def connect(path: Path | str, read_only: bool = False,
            memory_limit: str | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """``memory_limit`` is set after opening (a SET, not a connection config, so it never conflicts
    with another connection to the file): beyond it DuckDB spills to ``<file>.tmp``."""
    path = Path(path)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), read_only=read_only)
    if memory_limit:
        con.execute("SET memory_limit = ?", [memory_limit])
    try:
        yield con
    finally:
        con.close()


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(
        con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name = ?", [schema, table]
        ).fetchone()[0]
    )


def ensure_schema(con: duckdb.DuckDBPyConnection, *schemas: str) -> None:
    for schema in schemas:
        con.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')


def replace_table(con: duckdb.DuckDBPyConnection, schema: str, table: str, frame) -> int:
    """Atomically replace ``schema.table`` with a pandas/arrow frame; returns the row count."""
    ensure_schema(con, schema)
    con.register("_frame_to_write", frame)
    try:
        con.execute(f'CREATE OR REPLACE TABLE "{schema}"."{table}" AS SELECT * FROM _frame_to_write')
    finally:
        con.unregister("_frame_to_write")
    return con.execute(f'SELECT count(*) FROM "{schema}"."{table}"').fetchone()[0]
