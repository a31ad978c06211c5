"""The published BI database: a copy of the warehouse built aside and swapped in atomically.

BI tools hold read locks; DuckDB allows one writer per file and a reader blocks it. So BI reads
`CLIENTPULSE_SERVING`, never the warehouse: the copy is written to a temp file next to it and
moved over the old one with `os.replace`, which readers survive (they keep the old inode).
"""


import os
from pathlib import Path

import dagster as dg
import duckdb

from dagster_project.settings import WAREHOUSE_POOL, load_settings, resolve_as_of

PUBLISHED_SCHEMAS = ("raw", "normalized", "staging", "core", "marts", "ml", "quality", "reference")


def publish_warehouse(warehouse: Path, serving: Path, schemas: tuple[str, ...] = PUBLISHED_SCHEMAS) -> dict[str, int]:
    """Copy the listed schemas of ``warehouse`` into ``serving`` atomically; return row counts per table."""
    serving.parent.mkdir(parents=True, exist_ok=True)
    tmp = serving.with_name(serving.name + ".tmp")
    tmp.unlink(missing_ok=True)
    counts: dict[str, int] = {}
    con = duckdb.connect(str(tmp))
    try:
        con.execute(f"ATTACH '{warehouse}' AS wh (READ_ONLY)")
        tables = con.execute(
            """SELECT schema_name, table_name FROM duckdb_tables()
               WHERE database_name = 'wh' ORDER BY 1, 2"""
        ).fetchall()
        for schema, table in tables:
            if schema not in schemas:
                continue
            con.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            con.execute(f'CREATE TABLE "{schema}"."{table}" AS SELECT * FROM wh."{schema}"."{table}"')
            counts[f"{schema}.{table}"] = con.execute(f'SELECT count(*) FROM "{schema}"."{table}"').fetchone()[0]
        con.execute("DETACH wh")
        con.execute("CHECKPOINT")
    finally:
        con.close()
    os.replace(tmp, serving)
    return counts


@dg.asset(
    key=["serving", "published_database"],
    deps=[dg.AssetKey(["marts", "customer_360"])],
    group_name="serving",
    kinds={"duckdb"},
    pool=WAREHOUSE_POOL,
    description="The BI copy of the warehouse (CLIENTPULSE_SERVING), replaced atomically after every run.",
)
def published_database(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    settings = load_settings()
    counts = publish_warehouse(settings.warehouse_path, settings.serving_path)
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(settings.serving_path)),
            "as_of": resolve_as_of(context.run.tags).isoformat(),
            "tables": len(counts),
            "row_counts": dg.MetadataValue.json(counts),
        }
    )
