"""The list workbook and CSV as they were first written, cell by cell (the workbook with openpyxl): the oracle the
xlsxwriter writer of ``data_quality.list_export`` is compared with (tests only; at 1M customers
openpyxl took 5 min of the run)."""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import Any

import pandas as pd

from data_quality.list_export import PHONE_COLUMNS, _cell_value, _iso
from data_quality.safe_cells import safe_text, xlsx_value


def write_workbook_openpyxl(path: Path, sheets: dict[str, tuple[pd.DataFrame, dict[str, str]]], titles: dict[str, str],
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


def write_csv_by_row(path: Path, rows: pd.DataFrame, columns: dict[str, str], cfg: dict[str, Any]) -> None:
    cols = [c for c in columns if c in rows.columns] if len(rows) else list(columns)
    with open(path, "w", encoding=cfg["csv_encoding"], errors="replace", newline="") as fh:
        writer = csv.writer(fh, delimiter=cfg["csv_delimiter"], lineterminator="\r\n")
        writer.writerow([safe_text(columns[c]) for c in cols])
        for rec in rows[cols].to_dict("records") if len(rows) else []:
            writer.writerow([safe_text(_iso(rec[c]), phone=c in PHONE_COLUMNS) for c in cols])
