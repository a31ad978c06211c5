"""The action lists and "my customers today" as Excel workbooks per manager, plus CSVs.

Managers work in Excel, not in DuckDB: every run writes, under
``<data dir>/<list_workbooks.dir>/<as-of date>/``, one XLSX per normalised manager (and one for
the customers without a manager) with one sheet per list (``marts.mart_action_list`` by
``list_name``, and ``marts.mart_manager_today``), and one CSV per sheet with every manager's
rows. Headers are Russian (``config/crm_export.yaml``, ``list_workbooks``); the header row is
frozen, column widths fit the values, ISO dates become real Excel dates, amounts stay numbers,
and every text cell goes through ``data_quality.safe_cells`` (written as a string cell, never a
formula; the contact — an E.164 phone or an e-mail — is text). The folder of a date is written
aside and moved into place, so a half-written set is never seen.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from data_quality.safe_cells import is_missing, safe_text, xlsx_value

TODAY = "manager_today"
LISTS_QUERY = "SELECT * FROM marts.mart_action_list ORDER BY list_name, manager NULLS LAST, action_level DESC NULLS LAST, value_at_risk DESC NULLS LAST, customer_id"
TODAY_QUERY = "SELECT * FROM marts.mart_manager_today ORDER BY manager NULLS LAST, rank_for_manager"
PHONE_COLUMNS = frozenset({"contact"})  # may hold an E.164 phone: kept as a phone, written as text
_UNSAFE_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


@dataclass
class ListExportResult:
    folder: Path
    workbooks: dict[str, Path]  # manager (or the unassigned label) -> file
    csvs: dict[str, Path]  # sheet key -> file
    rows: dict[str, int]  # sheet key -> rows written (all managers)
    managers: int
    unassigned_rows: int
    workbook_rows: int = 0  # rows over every manager's workbook (= rows when none is lost or doubled)
    notes: list[str] = field(default_factory=list)


def file_stem(manager: str) -> str:
    """A file name for a manager: path and control characters out, spaces to ``_``."""
    stem = _UNSAFE_NAME.sub("_", manager).strip(" ._")
    return re.sub(r"\s+", "_", stem)[:100] or "manager"


def read_list_frames(con: Any) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """The lists and the manager's day; a missing mart is an empty frame and a note (degrade)."""
    notes: list[str] = []
    frames = []
    for name, query in (("marts.mart_action_list", LISTS_QUERY), ("marts.mart_manager_today", TODAY_QUERY)):
        schema, table = name.split(".")
        exists = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
                             [schema, table]).fetchone()[0]  # fmt: skip
        if exists:
            frames.append(con.execute(query).df())
        else:
            notes.append(f"{name} missing: its sheets are written empty")
            frames.append(pd.DataFrame(columns=["manager", "list_name", "customer_id"]))
    return frames[0], frames[1], notes


def _sheets(lists: pd.DataFrame, today: pd.DataFrame, cfg: dict[str, Any]) -> dict[str, tuple[pd.DataFrame, dict[str, str]]]:
    """sheet key -> (rows, column -> header) in the configured order; unknown list names last."""
    out: dict[str, tuple[pd.DataFrame, dict[str, str]]] = {}
    known = list(cfg["sheets"])
    extra = sorted(set(lists.get("list_name", pd.Series(dtype=str)).dropna()) - set(known))
    for key in known + extra:
        if key == TODAY:
            out[key] = (today, dict(cfg["today_columns"]))
        else:
            rows = lists[lists["list_name"] == key] if "list_name" in lists else lists.iloc[0:0]
            out[key] = (rows, dict(cfg["list_columns"]))
    return out


def _cell_value(value: Any) -> Any:
    """ISO date text (``2026-11-15``) and pandas timestamps as dates; the rest as is."""
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else (value.date() if value == value.normalize() else value.to_pydatetime())
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return value
    return value


def write_workbook(path: Path, sheets: dict[str, tuple[pd.DataFrame, dict[str, str]]], titles: dict[str, str],
                   cfg: dict[str, Any]) -> None:
    """One workbook: a sheet per list, frozen header, fitted widths, typed cells."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    bold = Font(bold=True)
    limit = int(cfg["max_column_width"])
    for key, (rows, columns) in sheets.items():
        ws = wb.create_sheet(title=titles.get(key, key)[:31])
        cols = [c for c in columns if c in rows.columns] if len(rows) else list(columns)
        widths = []
        for j, col in enumerate(cols, start=1):
            cell = ws.cell(row=1, column=j, value=safe_text(columns[col]))
            cell.data_type = "s"
            cell.font = bold
            widths.append(len(columns[col]))
        for i, rec in enumerate(rows[cols].to_dict("records") if len(rows) else [], start=2):
            for j, col in enumerate(cols, start=1):
                value, kind = xlsx_value(_cell_value(rec[col]), phone=col in PHONE_COLUMNS)
                if kind == "blank":
                    continue
                cell = ws.cell(row=i, column=j)
                if kind == "text":
                    value = ILLEGAL_CHARACTERS_RE.sub("", value)  # control characters XLSX cannot hold
                    cell.value = value
                    cell.data_type = "s"  # a string cell: never evaluated as a formula
                    shown = len(value)
                elif kind in ("date", "datetime"):
                    cell.value = value
                    cell.number_format = cfg["date_format"] + (" HH:MM" if kind == "datetime" else "")
                    shown = len(cfg["date_format"]) + (6 if kind == "datetime" else 0)
                else:
                    if isinstance(value, bool):
                        value = int(value)
                    cell.value = value
                    if isinstance(value, float):
                        cell.number_format = "#,##0.00"
                    shown = len(f"{value:,.2f}") if isinstance(value, float) else len(str(value))
                widths[j - 1] = max(widths[j - 1], shown)
        for j, w in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(j)].width = min(limit, w + 2)
        ws.freeze_panes = "A2"
    tmp = path.with_name(path.name + ".tmp")
    wb.save(tmp)
    os.replace(tmp, path)


def _write_csv(path: Path, rows: pd.DataFrame, columns: dict[str, str], cfg: dict[str, Any]) -> None:
    cols = [c for c in columns if c in rows.columns] if len(rows) else list(columns)
    with open(path, "w", encoding=cfg["csv_encoding"], errors="replace", newline="") as fh:
        writer = csv.writer(fh, delimiter=cfg["csv_delimiter"], lineterminator="\r\n")
        writer.writerow([safe_text(columns[c]) for c in cols])
        for rec in rows[cols].to_dict("records") if len(rows) else []:
            writer.writerow([safe_text(_iso(rec[c]), phone=c in PHONE_COLUMNS) for c in cols])


def _iso(value: Any) -> Any:
    """Dates in CSV as ISO text (every importer reads it), timestamps without a zero time."""
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else (value.date().isoformat() if value == value.normalize() else value.isoformat())
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def export_list_workbooks(lists: pd.DataFrame, today: pd.DataFrame, out_root: Path, as_of: dt.date,
                          cfg: dict[str, Any]) -> ListExportResult:
    """Write ``<out_root>/<as_of>/``: a workbook per manager + unassigned, a CSV per sheet."""
    unassigned = str(cfg["unassigned"])
    sheets = _sheets(lists, today, cfg)
    titles = dict(cfg["sheets"])

    def owner(frame: pd.DataFrame) -> pd.Series:
        m = frame["manager"] if "manager" in frame else pd.Series([None] * len(frame), index=frame.index, dtype=object)
        return m.map(lambda v: unassigned if is_missing(v) or not str(v).strip() else str(v).strip())

    # each row's owner once per sheet, and each owner's row positions once: filtering every sheet per
    # manager with a Python map made this O(managers x rows) (5 min for the lists of 1M customers)
    positions = {k: pd.Series(range(len(rows))).groupby(owner(rows).to_numpy(), sort=False).indices if len(rows) else {}
                 for k, (rows, _) in sheets.items()}
    owners = sorted(set().union(*positions.values()) - {unassigned})
    folder = out_root / as_of.isoformat()
    tmp = out_root / f".{as_of.isoformat()}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    workbooks: dict[str, Path] = {}
    stems: set[str] = set()
    in_workbooks = 0
    for manager in owners + [unassigned]:
        stem = file_stem(manager)
        while stem in stems:  # two managers with one file name
            stem += "_"
        stems.add(stem)
        part = {k: (rows.iloc[positions[k].get(manager, [])], cols) for k, (rows, cols) in sheets.items()}
        in_workbooks += sum(len(r) for r, _ in part.values())
        write_workbook(tmp / f"{stem}.xlsx", part, titles, cfg)
        workbooks[manager] = folder / f"{stem}.xlsx"
    csvs: dict[str, Path] = {}
    for key, (rows, cols) in sheets.items():
        _write_csv(tmp / f"{key}.csv", rows, cols, cfg)
        csvs[key] = folder / f"{key}.csv"
    old = out_root / f".{as_of.isoformat()}.old"
    shutil.rmtree(old, ignore_errors=True)
    if folder.exists():
        os.replace(folder, old)
    os.replace(tmp, folder)
    shutil.rmtree(old, ignore_errors=True)
    unassigned_rows = sum(len(p.get(unassigned, [])) for p in positions.values())
    return ListExportResult(folder, workbooks, csvs, {k: len(r) for k, (r, _) in sheets.items()}, len(owners),
                            unassigned_rows, in_workbooks)  # fmt: skip
