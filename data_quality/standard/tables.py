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


def _payload(report, run_id: str | None) -> dict[str, Any]:
    return {
        "table": report.table,
        "as_of": report.as_of.isoformat(),
        "row_count": report.row_count,
        "run_id": run_id,
        "written_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "results": [asdict(r) for r in report.results],
    }


def _report(data: dict[str, Any]):
    from data_quality.standard import RuleResult, StandardReport

    return StandardReport(
        table=data["table"],
        as_of=dt.date.fromisoformat(data["as_of"]),
        row_count=int(data["row_count"]),
        results=[RuleResult(**r) for r in data["results"]],
    )


def _history_entry(path: Path, out_dir: Path) -> dict[str, Any]:
    data = json.loads(path.read_text(encoding="utf-8"))
    report = _report(data)
    return {
        "table": report.table, "as_of": report.as_of.isoformat(), "run_id": data.get("run_id") or "",
        "written_at": data.get("written_at") or "", "row_count": report.row_count,
        "status": "passed" if report.all_passed else ("passed with warnings" if report.success else "FAILED"),
        "failed": [r.rule for r in report.failed()],
        "page": (path.with_suffix("") / "index.html").relative_to(out_dir).as_posix(),
    }


def write_data_docs(report, out_dir: Path, run_id: str | None = None) -> Path:
    """Write ``<out>/<table>/index.html`` and rebuild ``<out>/index.html`` from every stored report.

    Each check stores its report as JSON next to the HTML, so the combined page always shows the
    latest result of every table, whichever check ran last; every validation is also kept under
    ``history/<table>/`` (one JSON and one page per run), and the index lists them newest first —
    the run history Great Expectations' own Data Docs would keep in a file-backed context.
    """
    from data_quality.standard import build_data_docs

    out_dir = Path(out_dir)
    table_page = build_data_docs([report], out_dir / report.table)
    payload = _payload(report, run_id)
    store = out_dir / "reports"
    store.mkdir(parents=True, exist_ok=True)
    text = json.dumps(payload, default=str, ensure_ascii=False)
    (store / f"{report.table}.json").write_text(text, encoding="utf-8")
    runs = out_dir / "history" / report.table
    runs.mkdir(parents=True, exist_ok=True)
    stamp = payload["written_at"].replace(":", "").replace("+0000", "Z")
    run_file = runs / f"{report.as_of.isoformat()}__{(run_id or stamp)[:36]}.json"
    run_file.write_text(text, encoding="utf-8")
    build_data_docs([report], run_file.with_suffix(""))
    reports = [_report(json.loads(path.read_text(encoding="utf-8"))) for path in sorted(store.glob("*.json"))]
    history = [_history_entry(path, out_dir) for path in (out_dir / "history").glob("*/*.json")]
    history.sort(key=lambda h: (h["written_at"], h["as_of"], h["table"]), reverse=True)
    build_data_docs(reports, out_dir, history=history)
    return table_page
