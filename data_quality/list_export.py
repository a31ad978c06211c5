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

import numpy as np
import pandas as pd

from data_quality.safe_cells import is_missing, neutralise_column, safe_text, xlsx_value
from data_quality.workers import usable_cores, worker_context

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


@dataclass
class _ColumnCells:
    """A column ready to stream: a value per row (None = blank) and the writer of the whole column
    (None: each value is its own ``(method, value, format)``), and the widest value shown."""
    values: list[Any]
    writer: Any
    width: int


def _column_cells(values: pd.Series, phone: bool, ws: Any, formats: dict[str, Any]) -> _ColumnCells:
    """Each cell as ``xlsx_value(_cell_value(v))`` types it, computed by column where the column's
    type decides (numbers, timestamps, text), cell by cell only where it cannot."""
    missing = values.isna().to_numpy(dtype=bool)
    dtype = values.dtype
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
        present = values[~missing]
        if pd.api.types.is_float_dtype(dtype):
            cells = [None if m else float(v) for v, m in zip(values.tolist(), missing)]
            money = formats["money"]
            shown = [len(f"{v:,.2f}") for v in (present.max(), present.min())] if len(present) else [0]
            return _ColumnCells(cells, lambda i, j, v: ws.write_number(i, j, v, money), max(shown))
        cells = [None if m else int(v) for v, m in zip(values.tolist(), missing)]
        shown = [len(str(int(v))) for v in (present.max(), present.min())] if len(present) else [0]
        return _ColumnCells(cells, ws.write_number, max(shown))
    if pd.api.types.is_datetime64_any_dtype(dtype) and not getattr(dtype, "tz", None):
        midnight = (values == values.dt.normalize()).to_numpy(dtype=bool)
        cells = [None if m else (ws.write_datetime, v.date(), formats["date"]) if d
                 else (ws.write_datetime, v.to_pydatetime(), formats["datetime"])
                 for v, m, d in zip(values.tolist(), missing, midnight)]  # fmt: skip
        width = formats["date_width"] + (6 if (~midnight & ~missing).any() else 0) if (~missing).any() else 0
        return _ColumnCells(cells, None, width)
    if pd.api.types.infer_dtype(values, skipna=True) == "string":  # text: neutralised by column
        text = values.where(~missing, "")
        iso = text.str.fullmatch(r"\d{4}-\d{2}-\d{2}").to_numpy(dtype=bool)
        safe = neutralise_column(text, phone=phone).map(_xlsx_text)
        cells: list[Any] = [None if t == "" else (ws.write_string, t, None) for t in safe]
        lengths = safe.str.len().to_numpy()
        for k in np.flatnonzero(iso):  # ISO date text is a date (``_cell_value``)
            value = _cell_value(text.iat[k])
            if isinstance(value, dt.date):
                cells[k] = (ws.write_datetime, value, formats["date"])
                lengths[k] = formats["date_width"]
        return _ColumnCells(cells, None, int(lengths.max()) if len(lengths) else 0)
    cells, width = [], 0  # anything else, cell by cell
    for raw in values.tolist():
        value, kind = xlsx_value(_cell_value(raw), phone=phone)
        if kind == "blank":
            cells.append(None)
            continue
        if kind == "text":
            value = _xlsx_text(value)
            cells.append((ws.write_string, value, None))
            shown = len(value)
        elif kind in ("date", "datetime"):
            cells.append((ws.write_datetime, value, formats[kind]))
            shown = formats["date_width"] + (6 if kind == "datetime" else 0)
        else:
            value = int(value) if isinstance(value, bool) else value
            money = isinstance(value, float)
            cells.append((ws.write_number, value, formats["money"] if money else None))
            shown = len(f"{value:,.2f}") if money else len(str(value))
        width = max(width, shown)
    return _ColumnCells(cells, None, width)


def write_workbook(path: Path, sheets: dict[str, tuple[pd.DataFrame, dict[str, str]]], titles: dict[str, str],
                   cfg: dict[str, Any]) -> None:
    """One workbook: a sheet per list, frozen header, fitted widths, typed cells.

    xlsxwriter in constant-memory mode, rows streamed in order (openpyxl built every cell as an
    object first: 5 min for the lists of 1M customers). Text is always a string cell, never a
    formula, URL or number."""
    import xlsxwriter

    tmp = path.with_name(path.name + ".tmp")
    wb = xlsxwriter.Workbook(str(tmp), {"constant_memory": True, "strings_to_formulas": False,
                                        "strings_to_urls": False, "strings_to_numbers": False,
                                        "nan_inf_to_errors": True, "remove_timezone": True})  # fmt: skip
    bold = wb.add_format({"bold": True})
    formats = {"date": wb.add_format({"num_format": cfg["date_format"]}),
               "datetime": wb.add_format({"num_format": cfg["date_format"] + " HH:MM"}),
               "money": wb.add_format({"num_format": "#,##0.00"}),
               "date_width": len(cfg["date_format"])}  # fmt: skip
    limit = int(cfg["max_column_width"])
    used: set[str] = set()
    for key, (rows, columns) in sheets.items():
        title = _sheet_title(titles.get(key, key))
        while title.lower() in used:  # Excel compares sheet names without case; cut to 31
            title = title[:29] + f"_{len(used)}"
        used.add(title.lower())
        ws = wb.add_worksheet(title)
        cols = [c for c in columns if c in rows.columns] if len(rows) else list(columns)
        widths = []
        for j, col in enumerate(cols):
            ws.write_string(0, j, _xlsx_text(safe_text(columns[col])), bold)
            widths.append(len(columns[col]))
        plans = [_column_cells(rows[c], c in PHONE_COLUMNS, ws, formats) for c in cols] if len(rows) else []
        writers = [plan.writer for plan in plans]
        for j, plan in enumerate(plans):
            widths[j] = max(widths[j], plan.width)
        for i, rec in enumerate(zip(*(plan.values for plan in plans)), start=1):
            for j, value in enumerate(rec):
                if value is None:
                    continue
                write = writers[j]
                if write is None:  # a column of mixed kinds: (method, value, format) per cell
                    value[0](i, j, value[1], value[2])
                else:
                    write(i, j, value)
        for j, w in enumerate(widths):
            ws.set_column(j, j, min(limit, w + 2))
        ws.freeze_panes(1, 0)
    wb.close()
    os.replace(tmp, path)


_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # control characters XLSX cannot hold
_SHEET_TITLE_CHARS = re.compile(r"[\[\]:*?/\\]")


def _xlsx_text(text: str) -> str:
    """Text an XLSX string cell can hold: control characters out, at most 32,767 characters."""
    return _ILLEGAL_XML.sub("", text)[:32767]


def _sheet_title(title: str) -> str:
    """A sheet name Excel accepts: no ``[]:*?/\\``, at most 31 characters."""
    return _SHEET_TITLE_CHARS.sub("_", title)[:31] or "Лист"


def _write_csv(path: Path, rows: pd.DataFrame, columns: dict[str, str], cfg: dict[str, Any]) -> None:
    cols = [c for c in columns if c in rows.columns] if len(rows) else list(columns)
    cells = [_csv_column(rows[c], c in PHONE_COLUMNS) for c in cols] if len(rows) else []
    with open(path, "w", encoding=cfg["csv_encoding"], errors="replace", newline="") as fh:
        writer = csv.writer(fh, delimiter=cfg["csv_delimiter"], lineterminator="\r\n")
        writer.writerow([safe_text(columns[c]) for c in cols])
        writer.writerows(zip(*cells))


def _csv_column(values: pd.Series, phone: bool) -> list[str]:
    """A column's CSV text: each distinct value rendered once (``safe_text`` of ``_iso``)."""
    try:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
    except TypeError:  # unhashable cells (lists): one by one
        return [safe_text(_iso(v), phone=phone) for v in values.tolist()]
    rendered = np.array([safe_text(_iso(v), phone=phone) for v in uniques] + [""], dtype=object)
    return rendered[codes].tolist()


def _iso(value: Any) -> Any:
    """Dates in CSV as ISO text (every importer reads it), timestamps without a zero time."""
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else (value.date().isoformat() if value == value.normalize() else value.isoformat())
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def _workers(cfg: dict[str, Any], rows: int, workbooks: int) -> int:
    if rows < int(cfg.get("parallel_min_rows", 50000)) or workbooks < 2:
        return 1
    wanted = int(cfg.get("workers", 0)) or usable_cores()
    return max(1, min(wanted, usable_cores(), workbooks))


def _write_workbooks(jobs: list[tuple], workers: int) -> None:
    """Each workbook in its own task: xlsxwriter spends ~5 us per cell in Python, so the lists of 1M
    customers (17M cells) take two minutes on one core; workers start clean (``worker_context``)."""
    if workers <= 1:
        for job in jobs:
            write_workbook(*job)
        return
    from concurrent.futures import ProcessPoolExecutor

    largest_first = sorted(jobs, key=lambda job: -sum(len(rows) for rows, _ in job[1].values()))
    with ProcessPoolExecutor(workers, mp_context=worker_context()) as pool:
        for done in [pool.submit(write_workbook, *job) for job in largest_first]:
            done.result()  # a worker's error is raised here, with its traceback


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
    jobs = []
    for manager in owners + [unassigned]:
        stem = file_stem(manager)
        while stem in stems:  # two managers with one file name
            stem += "_"
        stems.add(stem)
        part = {k: (rows.iloc[positions[k].get(manager, [])], cols) for k, (rows, cols) in sheets.items()}
        in_workbooks += sum(len(r) for r, _ in part.values())
        jobs.append((tmp / f"{stem}.xlsx", part, titles, cfg))
        workbooks[manager] = folder / f"{stem}.xlsx"
    _write_workbooks(jobs, _workers(cfg, in_workbooks, len(jobs)))
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
