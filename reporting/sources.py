"""Reading the warehouse without assuming a table is there: a missing table, a missing column or an
empty result is an answer (the chart explains it), never an exception."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import pandas as pd


@dataclass(frozen=True)
class Missing:
    """Why there is no data: ``reason`` is a label key, ``detail`` names the table or columns."""

    reason: str
    detail: str


def columns(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    """Columns of ``schema.table`` (a table or a view); empty when it does not exist."""
    schema, name = table.split(".", 1)
    rows = con.execute(
        "select column_name from information_schema.columns where table_schema = ? and table_name = ?",
        [schema, name],
    ).fetchall()
    return {r[0] for r in rows}


def read(con: duckdb.DuckDBPyConnection, table: str, sql: str, params: list | None = None,
         need: tuple[str, ...] = ()) -> pd.DataFrame | Missing:
    """Run ``sql`` (which reads ``table``) when the table and the ``need``-ed columns exist; a
    :class:`Missing` otherwise, and for an empty result."""
    have = columns(con, table)
    if not have:
        return Missing("missing_table", table)
    lacking = [c for c in need if c not in have]
    if lacking:
        return Missing("missing_columns", f"{table}: {', '.join(lacking)}")
    frame = con.execute(sql, params or []).df()
    if frame.empty:
        return Missing("empty_table", table)
    return frame


def snapshot_date(con: duckdb.DuckDBPyConnection, table: str, as_of: dt.date) -> dt.date | None:
    """The latest ``as_of`` of ``table`` on or before the report date (tables replaced on every
    run hold one date; history tables hold many)."""
    if "as_of" not in columns(con, table):
        return None
    value = con.execute(f"select max(as_of)::date from {table} where as_of::date <= ?", [as_of]).fetchone()[0]
    return value
