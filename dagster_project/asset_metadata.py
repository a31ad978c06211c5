"""What the Dagster UI shows on a table asset: its row count and its columns, read from DuckDB.

Dagster's UI reads the standard keys `dagster/row_count` (the "Rows" column of the catalog and
the row-count chart) and `dagster/column_schema` (the "Columns" tab). Every Python step that
writes a warehouse table attaches both through `table_metadata`, so the count is the table's and
not a frame's that may differ from it (snapshots, appends).
"""

from __future__ import annotations

from typing import Any

import dagster as dg

ROW_COUNT = "dagster/row_count"
COLUMN_SCHEMA = "dagster/column_schema"


def column_schema(con, schema: str, table: str, descriptions: dict[str, str | None] | None = None) -> dg.TableSchema:
    """The table's columns in order, DuckDB type and description (`descriptions`, else the comment)."""
    descriptions = descriptions or {}
    rows = con.execute(
        "SELECT column_name, data_type, is_nullable, comment FROM duckdb_columns() "
        "WHERE schema_name = ? AND table_name = ? ORDER BY column_index",
        [schema, table],
    ).fetchall()
    return dg.TableSchema(columns=[
        dg.TableColumn(name=name, type=str(dtype), description=descriptions.get(name) or comment or None,
                       constraints=dg.TableColumnConstraints(nullable=bool(nullable)))
        for name, dtype, nullable, comment in rows
    ])


def table_metadata(con, schema: str, table: str,
                   descriptions: dict[str, str | None] | None = None) -> dict[str, Any]:
    """`dagster/row_count` and `dagster/column_schema` of `schema.table` (empty when it is absent)."""
    exists = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name = ?", [schema, table]
    ).fetchone()[0]
    if not exists:
        return {}
    rows = con.execute(f'SELECT count(*) FROM "{schema}"."{table}"').fetchone()[0]
    return {ROW_COUNT: dg.MetadataValue.int(int(rows)), COLUMN_SCHEMA: dg.MetadataValue.table_schema(
        column_schema(con, schema, table, descriptions))}


def tables_metadata(con, schema: str, tables) -> dict[str, dict[str, Any]]:
    """`table_metadata` of several tables of one schema, keyed by table name."""
    return {t: table_metadata(con, schema, t) for t in tables}
