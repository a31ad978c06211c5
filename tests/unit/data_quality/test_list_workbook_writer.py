"""The list workbooks are streamed with xlsxwriter (openpyxl took 5 min for the lists of 1M
customers); read back, every cell is the cell the openpyxl writer wrote
(``tests/support/list_workbook_openpyxl.py``): value, type, number format, and every sheet's
title, fitted column widths and frozen header."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from clientpulse_config import load
from data_quality.list_export import _sheets, _workers, _write_csv, export_list_workbooks, write_workbook
from data_quality.workers import usable_cores
from tests.support.list_workbook_openpyxl import write_csv_by_row, write_workbook_openpyxl

AS_OF = dt.date(2026, 11, 15)
TEXTS = ['=HYPERLINK("http://x","y")', "+SUM(1+1)", "-2+3", "@A1", "\tпросрочил", "\rсон", "Иванов Иван",
         "bell\x07 and nul\x00 inside", "2026-11-15", "2026-02-30", "", None, "=1+1", "12345", "http://x.ru"]  # fmt: skip


def _lists(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)

    def pick(values):
        return [values[i] for i in rng.integers(0, len(values), n)]

    return pd.DataFrame({
        "as_of": [pd.Timestamp("2026-11-15")] * n,
        "list_name": pick(["reactivation", "goodbye", "hot_trigger", "a_new_list_nobody_configured"]),
        "customer_id": [f"C{i}" for i in range(n)], "full_name": pick(TEXTS),
        "manager": pick(["Смирнова Ольга", None]), "channel": pick(["phone", "email", None]),
        "contact": pick(["+79161234567", "petr@yandex.ru", "+SUM(1+1)", "89161234567", None]),
        "monetary": pick([-1500.0, 1200.5, 0.0, float("nan"), 1e12]), "action_level": pick([4, 3, 5, 2]),
        "expected_value": pick([0.1, 2.0, None]), "step": pick([1, 2, None]),
        "due_date": pick([pd.Timestamp("2026-11-15"), pd.Timestamp("2026-11-20 14:30"), pd.NaT]),
        "expected_next_purchase": pick([dt.date(2027, 1, 1), None]),
        "days_since_last_purchase": pick([0, 400, None]), "reason": pick(TEXTS), "action_ru": pick(TEXTS),
        "is_primary": pick([True, False]),
    })  # fmt: skip


def _cells(path):
    wb = load_workbook(path)
    out = {}
    for ws in wb.worksheets:
        widths = {get_column_letter(i): round(v.width, 2) for v in ws.column_dimensions.values() if v.width
                  for i in range(v.min, v.max + 1)}  # a range of equal widths is one entry in the file
        # a carriage return: openpyxl writes it raw (an XML reader reads it as a line feed), xlsxwriter
        # escapes it as _x000D_ (Excel shows the carriage return): read both as the line feed
        cells = [(c.coordinate, c.value.replace("_x000D_", "\n") if isinstance(c.value, str) else c.value,
                  c.data_type, c.number_format) for row in ws.iter_rows() for c in row if c.value is not None]
        out[ws.title] = (ws.freeze_panes, widths, cells)
    return out


def test_workbook_cells_equal_the_openpyxl_writer(tmp_path):
    cfg = load("crm_export")["list_workbooks"]
    today = pd.DataFrame({"manager": ["Смирнова Ольга"], "rank_for_manager": [1], "item": ["alert"],
                          "customer_id": ["C1"], "full_name": ["=cmd"], "due_date": [pd.NaT],
                          "value_at_risk": [-1500.0]})  # fmt: skip
    sheets = _sheets(_lists(300, 7), today, cfg)
    titles = dict(cfg["sheets"])
    write_workbook(tmp_path / "fast.xlsx", sheets, titles, cfg)
    write_workbook_openpyxl(tmp_path / "slow.xlsx", sheets, titles, cfg)
    fast, slow = _cells(tmp_path / "fast.xlsx"), _cells(tmp_path / "slow.xlsx")
    assert list(fast) == list(slow) and len(fast) == len(cfg["sheets"]) + 1  # + the unconfigured list
    for title in slow:
        (frozen, widths, cells), (frozen_0, widths_0, cells_0) = fast[title], slow[title]
        assert frozen == frozen_0 == "A2" and cells == cells_0, title
        # xlsxwriter stores a width as Excel shows it (N characters + its 5-pixel padding = N + 0.71),
        # openpyxl the bare N (Excel shows N - 0.71): the same fitted N
        assert {k: round(w - 0.71, 2) for k, w in widths.items()} == widths_0, title
    formulas = [c for _, _, cells in fast.values() for c in cells if c[2] == "f"]
    assert not formulas  # text starting with = is a string cell, never a formula


def test_csv_bytes_equal_the_row_by_row_writer(tmp_path):
    cfg = load("crm_export")["list_workbooks"]
    rows = _lists(500, 11)
    columns = dict(cfg["list_columns"])
    _write_csv(tmp_path / "fast.csv", rows, columns, cfg)
    write_csv_by_row(tmp_path / "slow.csv", rows, columns, cfg)
    fast, slow = (tmp_path / "fast.csv").read_bytes(), (tmp_path / "slow.csv").read_bytes()
    # the row-by-row writer wrote a missing timestamp as "NaT" (NaT is a datetime); now it is empty
    assert b"NaT" in slow and b"NaT" not in fast
    assert fast == slow.replace(b"NaT", b"")


def test_workbooks_written_by_worker_processes_equal_the_serial_ones(tmp_path):
    """Above ``parallel_min_rows`` the workbooks are written by clean worker processes: the same
    files, cell for cell, as in the run's process."""
    base = load("crm_export")["list_workbooks"]
    rows = _lists(400, 5)
    rows["manager"] = [f"Менеджер {i % 5}" if i % 7 else None for i in range(len(rows))]
    today = pd.DataFrame({"manager": ["Менеджер 1"], "rank_for_manager": [1], "customer_id": ["C1"]})
    serial = export_list_workbooks(rows, today, tmp_path / "serial", AS_OF, {**base, "parallel_min_rows": 10**9})
    parallel = export_list_workbooks(rows, today, tmp_path / "parallel", AS_OF,
                                     {**base, "parallel_min_rows": 0, "workers": 2})  # fmt: skip
    assert _workers({**base, "parallel_min_rows": 0, "workers": 2}, len(rows), 6) == min(2, usable_cores())
    assert set(serial.workbooks) == set(parallel.workbooks) and len(serial.workbooks) == 6
    for manager, path in serial.workbooks.items():
        assert _cells(path) == _cells(parallel.workbooks[manager]), manager
    assert serial.workbook_rows == parallel.workbook_rows == len(rows) + len(today)
