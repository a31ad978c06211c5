"""Build the published BI database: the BI-facing schemas of the warehouse, in a storage format
that older DuckDB readers open, with every dbt description as a table or column comment.

Built aside and moved over the old file with ``os.replace``: readers keep the old inode, and a
run that dies mid-way leaves the published file as it was.
"""

from __future__ import annotations

import fnmatch
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import duckdb


@dataclass(frozen=True)
class ServingConfig:
    schemas: tuple[str, ...]
    storage_version: str | None
    comments: bool

    @classmethod
    def from_mapping(cls, raw: Mapping) -> ServingConfig:
        schemas = raw.get("schemas")
        if not schemas or not all(isinstance(s, str) and s for s in schemas):
            raise ValueError(f"serving.yaml: schemas must be a non-empty list of schema names, got {schemas!r}")
        version = raw.get("storage_version")
        if version is not None and not (isinstance(version, str) and version.startswith("v")):
            raise ValueError(f"serving.yaml: storage_version must look like 'v1.1.0' or be null, got {version!r}")
        return cls(tuple(schemas), version, bool(raw.get("comments", True)))


#: (schema, table) -> (table description, {column: description})
Descriptions = dict[tuple[str, str], tuple[str, dict[str, str]]]


def dbt_descriptions(manifest_path: Path) -> Descriptions:
    """Descriptions of every model, seed and source in a dbt manifest, keyed by warehouse relation."""
    manifest = json.loads(Path(manifest_path).read_text(encoding="utf-8"))
    out: Descriptions = {}
    nodes = [n for n in manifest.get("nodes", {}).values() if n.get("resource_type") in ("model", "seed")]
    for node in [*manifest.get("sources", {}).values(), *nodes]:
        table = node.get("identifier") or node.get("alias") or node["name"]
        columns = {c: (d.get("description") or "").strip() for c, d in (node.get("columns") or {}).items()}
        key = (node["schema"], table)
        text = (node.get("description") or "").strip()
        if key in out:  # a model and the source that re-declares it: keep what each side knows
            old_text, old_cols = out[key]
            text = text or old_text
            columns = {**old_cols, **{c: d for c, d in columns.items() if d}}
        out[key] = (text, columns)
    return out


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _write_comments(con: duckdb.DuckDBPyConnection, db: str, tables: Iterable[tuple[str, str]],
                    descriptions: Descriptions) -> int:
    written = 0
    for schema, table in tables:
        text, columns = descriptions.get((schema, table), ("", {}))
        target = f'{db}."{schema}"."{table}"'
        if text:
            con.execute(f"COMMENT ON TABLE {target} IS {_quote(text)}")
            written += 1
        present = {r[0] for r in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE database_name = ? AND schema_name = ? AND table_name = ?",
            [db, schema, table]).fetchall()}
        for column in sorted(present):
            desc = column_description(columns, column)
            if desc:
                con.execute(f'COMMENT ON COLUMN {target}."{column}" IS {_quote(desc)}')
                written += 1
    return written


def column_description(columns: Mapping[str, str], column: str) -> str:
    """The description of ``column``: its own entry, else the first declared pattern it matches.

    Columns named after data (``cat_share__<category>`` in ml.customer_features, ``mw_<comparison>``
    in core.identity_review_pairs) are declared once in the dbt YAML under a shell-style pattern
    such as ``cat_share__*``."""
    desc = columns.get(column) or ""
    if desc:
        return desc
    for pattern, text in columns.items():
        if text and any(ch in pattern for ch in "*?[") and fnmatch.fnmatchcase(column, pattern):
            return text
    return ""


def publish(warehouse: Path, serving: Path, config: ServingConfig,
            descriptions: Descriptions | None = None) -> dict[str, int]:
    """Copy ``config.schemas`` of ``warehouse`` into ``serving`` atomically; row counts per table.

    The copy is written through an attached database opened with the configured storage version
    (``CREATE TABLE AS`` does not carry comments, so they are written afterwards from
    ``descriptions``)."""
    serving.parent.mkdir(parents=True, exist_ok=True)
    tmp = leftover_files(serving)[0]
    remove_leftovers(serving)
    counts: dict[str, int] = {}
    con = duckdb.connect(":memory:")
    try:
        option = f" (STORAGE_VERSION {_quote(config.storage_version)})" if config.storage_version else ""
        con.execute(f"ATTACH {_quote(str(tmp))} AS pub{option}")
        con.execute(f"ATTACH {_quote(str(warehouse))} AS wh (READ_ONLY)")
        tables = con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = 'wh' ORDER BY 1, 2"
        ).fetchall()
        tables = [(s, t) for s, t in tables if s in config.schemas]
        for schema, table in tables:
            con.execute(f'CREATE SCHEMA IF NOT EXISTS pub."{schema}"')
            con.execute(f'CREATE TABLE pub."{schema}"."{table}" AS SELECT * FROM wh."{schema}"."{table}"')
            counts[f"{schema}.{table}"] = con.execute(f'SELECT count(*) FROM pub."{schema}"."{table}"').fetchone()[0]
        if config.comments and descriptions:
            _write_comments(con, "pub", tables, descriptions)
        con.execute("DETACH wh")
        con.execute("CHECKPOINT pub")
        con.execute("DETACH pub")
    finally:
        con.close()
    _durable_replace(tmp, serving)
    return counts


def leftover_files(serving: Path) -> list[Path]:
    """What a publish killed mid-way leaves next to the published file: the copy being built and
    its write-ahead log. The published file itself is untouched until the final rename."""
    serving = Path(serving)
    tmp = serving.with_name(serving.name + ".tmp")
    return [tmp, tmp.with_name(tmp.name + ".wal")]


def remove_leftovers(serving: Path) -> list[Path]:
    """Delete a dead publish's temp files (the next run's recovery; every publish first)."""
    removed = []
    for path in leftover_files(serving):
        if path.exists():
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def _durable_replace(tmp: Path, serving: Path) -> None:
    """The copy is on disk before the rename, and the rename is on disk before we return: after a
    crash the published path holds either the old file or the new one, whole."""
    fd = os.open(tmp, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, serving)
    try:
        dir_fd = os.open(serving.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)
