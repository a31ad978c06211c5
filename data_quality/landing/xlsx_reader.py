"""XLSX into the staging table (openpyxl, read-only, values not formulas).

Cells become text: datetimes as ISO (``2024-03-01`` at midnight, else ``2024-03-01 12:30:00``),
integral floats without ``.0`` (ids, phone numbers typed as numbers), booleans ``true/false``.
Every sheet whose first non-empty row is a header is read; ``_line`` is the sheet row number and
the sheet name goes to ``_extra`` as ``_sheet`` when the workbook has more than one sheet.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from data_quality.landing.spec import SourceSpec, map_header
from data_quality.landing.stage import ReadResult, Reject, append_stage, create_stage
from data_quality.landing.textio import UnreadableFile

CHUNK_ROWS = 50_000


def cell_text(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dt.datetime):
        if v.time() == dt.time(0, 0) and v.tzinfo is None:
            return v.date().isoformat()
        return v.isoformat(sep=" ")
    if isinstance(v, (dt.date, dt.time)):
        return v.isoformat()
    if isinstance(v, dt.timedelta):
        return str(v)
    if isinstance(v, float):
        if v.is_integer() and abs(v) < 1e16:
            return str(int(v))
        return repr(v)
    if isinstance(v, (int, Decimal)):
        return str(v)
    return str(v)


def open_workbook(path: Path) -> Any:
    """The workbook opened read-only (values, not formulas); the caller closes it."""
    if path.stat().st_size == 0:
        raise UnreadableFile("empty_file", "0 bytes")
    if not zipfile.is_zipfile(path):
        with path.open("rb") as fh:
            started_as_zip = fh.read(4) == b"PK\x03\x04"
        if started_as_zip:  # a workbook cut short (copy interrupted): its zip directory is missing
            raise UnreadableFile("unreadable_xlsx", "truncated or corrupt zip: no central directory")
        raise UnreadableFile("unknown_format", "not an xlsx (zip) file")
    import openpyxl

    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise UnreadableFile("unreadable_xlsx", f"{type(exc).__name__}: {exc}") from exc


def sheet_headers(wb: Any) -> list[tuple[Any, list[str], int]]:
    """(sheet, header cells, header row number) for every sheet with a non-empty row."""
    sheets = []
    for ws in wb.worksheets:
        for i, row in enumerate(ws.iter_rows(values_only=True), start=1):
            if row and any(c is not None and str(c).strip() for c in row):
                sheets.append((ws, [cell_text(c) or "" for c in row], i))
                break
    if not sheets:
        raise UnreadableFile("no_header", "no non-empty row in any sheet")
    return sheets


def read_xlsx_file(con: duckdb.DuckDBPyConnection, path: Path, spec: SourceSpec,
                   workbook: Any = None) -> ReadResult:
    """Stage the sheets of ``path``; ``workbook``: already opened (and closed) by the caller."""
    wb = workbook if workbook is not None else open_workbook(path)
    try:
        sheets = sheet_headers(wb)
        # prefer sheets whose header has the id column; fall back to the first sheet
        with_id = [s for s in sheets if map_header(spec, s[1]).has(spec.id_column)]
        sheets = with_id or sheets[:1]
        multi = len(wb.worksheets) > 1
        # one stage for all sheets: union of headers (by name) + _sheet
        names: list[str] = []
        for _, header, _ in sheets:
            for h in _trim(header):
                if h not in names:
                    names.append(h)
        if multi:
            names.append("_sheet")
        ncols = len(names)
        create_stage(con, ncols)
        landed = 0
        rejects: list[Reject] = []
        for ws, header, header_row in sheets:
            header = _trim(header)
            pos = [names.index(h) for h in header]
            width = len(header)
            buf, lines = [], []
            for rownum, row in enumerate(ws.iter_rows(min_row=header_row + 1, values_only=True),
                                         start=header_row + 1):
                if not row or all(c is None or (isinstance(c, str) and not c.strip()) for c in row):
                    continue
                landed += 1
                cells = [cell_text(c) for c in row]
                if any(c is not None and c.strip() for c in cells[width:]):
                    rejects.append(Reject(rownum, f"wrong_field_count: values beyond the {width} header "
                                                  f"columns (sheet {ws.title})",
                                          "\t".join(c or "" for c in cells)))
                    continue
                out: list[str | None] = [None] * ncols
                for j, p in enumerate(pos):
                    if j < len(cells):
                        out[p] = cells[j]
                if multi:
                    out[-1] = ws.title
                buf.append(out)
                lines.append(rownum)
                if len(buf) >= CHUNK_ROWS:
                    append_stage(con, ncols, buf, lines)
                    buf, lines = [], []
            append_stage(con, ncols, buf, lines)
    finally:
        if workbook is None:
            wb.close()
    return ReadResult(header=names, landed=landed, rejects=rejects, reader="xlsx:openpyxl",
                      join_sep="\t")


def _trim(header: list[str]) -> list[str]:
    """Drop trailing empty header cells; name inner empty ones ``column_N``; make names unique."""
    h = list(header)
    while h and not h[-1].strip():
        h.pop()
    out: list[str] = []
    for i, name in enumerate(h):
        name = name.strip() or f"column_{i + 1}"
        base, n = name, 2
        while name in out:
            name, n = f"{base} ({n})", n + 1
        out.append(name)
    return out
