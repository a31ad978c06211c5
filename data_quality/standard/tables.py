"""The standard of one warehouse table: its rules, the columns they read, running it, Data Docs.

Used by the Dagster checks (one check per rule) and by tests; nothing here knows Dagster.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pandas as pd

DOCS_DIR = "quality_docs"


def _standard(config: dict[str, Any] | None) -> dict[str, Any]:
    if config is not None:
        return config
    from clientpulse_config import load

    return load("data_standard")


def table_rules(table: str, config: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    return list(((_standard(config).get("tables") or {}).get(table) or {}).get("rules") or [])


def rule_columns(table: str, config: dict[str, Any] | None = None) -> list[str]:
    """Columns the standard of ``table`` reads (id column first): only those are pulled from DuckDB."""
    spec = (_standard(config).get("tables") or {}).get(table) or {}
    cols: list[str] = [spec["id_column"]] if spec.get("id_column") else []
    for rule in spec.get("rules") or []:
        for key in ("column", "by"):
            if rule.get(key):
                cols.append(rule[key])
        cols.extend(rule.get("columns") or [])
    return list(dict.fromkeys(cols))


def is_blocking(rule: dict[str, Any]) -> bool:
    """Severity ``error`` stops what is downstream of the table; ``warn`` only reports."""
    return str(rule.get("severity", "error")) == "error"


def load_frame(con, table: str, relation: str, config: dict[str, Any] | None = None) -> pd.DataFrame:
    """The columns the standard reads, straight from DuckDB (missing columns are left out, the
    standard reports them as ``column_missing``)."""
    schema, name = relation.split(".")
    present = {
        row[0]
        for row in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE schema_name = ? AND table_name = ?", [schema, name]
        ).fetchall()
    }
    cols = [c for c in rule_columns(table, config) if c in present]
    if not cols:
        return con.execute(f'SELECT * FROM "{schema}"."{name}"').df()
    select = ", ".join(f'"{c}"' for c in cols)
    return con.execute(f'SELECT {select} FROM "{schema}"."{name}"').df()


def run_table_standard(con, table: str, relation: str, as_of: dt.date, config: dict[str, Any] | None = None):
    from data_quality.standard import run_standard

    frame = load_frame(con, table, relation, config)
    return run_standard(table, frame, as_of, config)


def docs_dir(data_dir: Path) -> Path:
    return Path(data_dir) / DOCS_DIR


def write_data_docs(report, out_dir: Path) -> Path:
    """Write ``<out>/<table>/index.html`` and rebuild ``<out>/index.html`` from every stored report.

    Each check stores its report as JSON next to the HTML, so the combined page always shows the
    latest result of every table, whichever check ran last.
    """
    from data_quality.standard import RuleResult, StandardReport, build_data_docs

    out_dir = Path(out_dir)
    table_page = build_data_docs([report], out_dir / report.table)
    store = out_dir / "reports"
    store.mkdir(parents=True, exist_ok=True)
    payload = {
        "table": report.table,
        "as_of": report.as_of.isoformat(),
        "row_count": report.row_count,
        "results": [asdict(r) for r in report.results],
    }
    (store / f"{report.table}.json").write_text(json.dumps(payload, default=str, ensure_ascii=False), encoding="utf-8")
    reports = []
    for path in sorted(store.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        reports.append(
            StandardReport(
                table=data["table"],
                as_of=dt.date.fromisoformat(data["as_of"]),
                row_count=int(data["row_count"]),
                results=[RuleResult(**r) for r in data["results"]],
            )
        )
    build_data_docs(reports, out_dir)
    return table_page
