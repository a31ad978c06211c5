"""Excel lists: a workbook per manager + unassigned, a sheet per list, frozen header, fitted widths,
Russian headers, real dates, phones as text, amounts as numbers, hostile text neutralised."""

from __future__ import annotations

import csv
import datetime as dt

import pandas as pd
from openpyxl import load_workbook

from clientpulse_config import load
from data_quality.list_export import export_list_workbooks, file_stem

AS_OF = dt.date(2026, 11, 15)


def lists() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "as_of": [pd.Timestamp(AS_OF)] * 4,
            "list_name": ["reactivation", "reactivation", "goodbye", "hot_trigger"],
            "customer_id": ["C1", "C2", "C3", "C4"],
            "full_name": ['=HYPERLINK("http://x","click")', "Петров Пётр", "@SUM(A1:A2)", "Анна"],
            "manager": ["Смирнова Ольга", "Орлов Игорь", None, "Смирнова Ольга"],
            "channel": ["phone", "email", "phone", "email"],
            "contact": ["+79161234567", "petr@yandex.ru", "+SUM(1+1)", "-2+3+cmd|' /C calc'!A0"],
            "monetary": [-1500.0, 1200.5, 0.0, 10.0],
            "action_level": [4, 3, 5, 2],
            "step": [1, 2, None, None],
            "due_date": [pd.Timestamp("2026-11-15"), pd.Timestamp("2026-11-20"), pd.NaT, pd.NaT],
            "reason": ["\tпросрочил покупку", "\rсон", "ушёл", "кликнул"],
            "action_ru": ["Позвонить", "Письмо", "Прощальное письмо", "Предложение"],
            "is_primary": [True, True, True, False],
        }
    )


def today() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "as_of": [pd.Timestamp(AS_OF)] * 2,
            "manager": ["Смирнова Ольга", None],
            "rank_for_manager": [1, 1],
            "item": ["alert", "chain_step"],
            "customer_id": ["C1", "C9"],
            "full_name": ["Иванов", "Без менеджера"],
            "reason": ["риск", "сон"],
            "action": ["Звонок", "Письмо"],
            "due_date": [pd.NaT, pd.Timestamp("2026-11-15")],
            "contact": ["+79161234567", "c9@mail.ru"],
            "value_at_risk": [-1500.0, None],
        }
    )


def _sheet(path, title):
    ws = load_workbook(path)[title]
    rows = list(ws.iter_rows(values_only=False))
    return ws, [c.value for c in rows[0]], rows[1:]


def test_one_workbook_per_manager_and_unassigned_with_every_sheet(tmp_path):
    cfg = load("crm_export")["list_workbooks"]
    res = export_list_workbooks(lists(), today(), tmp_path, AS_OF, cfg)
    assert res.folder == tmp_path / "2026-11-15"
    assert set(res.workbooks) == {"Смирнова Ольга", "Орлов Игорь", "Без менеджера"} and res.managers == 2
    assert res.workbooks["Смирнова Ольга"].name == "Смирнова_Ольга.xlsx"
    for path in res.workbooks.values():
        assert path.is_file()
        assert load_workbook(path).sheetnames == list(cfg["sheets"].values())
    assert res.rows["reactivation"] == 2 and res.rows["manager_today"] == 2
    assert res.workbook_rows == len(lists()) + len(today()) and res.unassigned_rows == 2
    ws, header, rows = _sheet(res.workbooks["Смирнова Ольга"], "Реактивация")
    assert ws.freeze_panes == "A2"
    assert header[:5] == ["ID клиента", "Клиент", "Менеджер", "Канал", "Контакт"]
    assert [r[0].value for r in rows] == ["C1"]  # only this manager's rows
    _, _, hot = _sheet(res.workbooks["Смирнова Ольга"], "Горячие сигналы")
    assert [r[0].value for r in hot] == ["C4"]
    _, _, orlov_goodbye = _sheet(res.workbooks["Орлов Игорь"], "Прощание")
    assert orlov_goodbye == []  # an empty sheet keeps its header
    _, _, mine = _sheet(res.workbooks["Без менеджера"], "Мой день")
    assert [r[2].value for r in mine] == ["C9"]


def test_cells_are_typed_and_safe(tmp_path):
    cfg = load("crm_export")["list_workbooks"]
    res = export_list_workbooks(lists(), today(), tmp_path, AS_OF, cfg)
    ws, header, rows = _sheet(res.workbooks["Смирнова Ольга"], "Реактивация")
    cell = dict(zip(header, rows[0]))
    assert cell["Клиент"].value == '\'=HYPERLINK("http://x","click")' and cell["Клиент"].data_type == "s"
    assert cell["Контакт"].value == "+79161234567" and cell["Контакт"].data_type == "s"  # a phone, as text
    assert cell["Выручка, руб."].value == -1500 and cell["Выручка, руб."].data_type == "n"
    assert cell["Срок"].value == dt.datetime(2026, 11, 15) and cell["Срок"].is_date
    assert cell["Срок"].number_format == "DD.MM.YYYY"
    assert cell["Причина"].value == "'\tпросрочил покупку"
    assert cell["Уровень действия"].value == 4
    width = ws.column_dimensions["B"].width
    assert len('\'=HYPERLINK("http://x","click")') <= width <= cfg["max_column_width"]
    _, header, rows = _sheet(res.workbooks["Без менеджера"], "Прощание")
    cell = dict(zip(header, rows[0]))
    assert cell["Контакт"].value == "'+SUM(1+1)" and cell["Клиент"].value == "'@SUM(A1:A2)"
    _, header, rows = _sheet(res.workbooks["Смирнова Ольга"], "Горячие сигналы")
    assert dict(zip(header, rows[0]))["Контакт"].value == "'-2+3+cmd|' /C calc'!A0"
    for path in res.workbooks.values():  # no formula anywhere
        for ws in load_workbook(path).worksheets:
            assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)


def test_csv_per_sheet_with_every_manager(tmp_path):
    cfg = load("crm_export")["list_workbooks"]
    res = export_list_workbooks(lists(), today(), tmp_path, AS_OF, cfg)
    with open(res.csvs["reactivation"], encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh, delimiter=";"))
    assert rows[0][:3] == ["ID клиента", "Клиент", "Менеджер"]
    got = {r[0]: dict(zip(rows[0], r)) for r in rows[1:]}
    assert set(got) == {"C1", "C2"}
    assert got["C1"]["Клиент"] == '\'=HYPERLINK("http://x","click")'
    assert got["C1"]["Контакт"] == "+79161234567" and got["C1"]["Выручка, руб."] == "-1500.0"
    assert got["C1"]["Срок"] == "2026-11-15" and got["C2"]["Причина"] == "'\rсон"
    # a re-run of the date replaces the folder, nothing half-written is left
    export_list_workbooks(lists().iloc[:1], today().iloc[:0], tmp_path, AS_OF, cfg)
    assert sorted(p.name for p in (tmp_path / "2026-11-15").glob("*.xlsx")) == ["Без_менеджера.xlsx", "Смирнова_Ольга.xlsx"]
    assert not list(tmp_path.glob(".*"))


def test_missing_marts_give_empty_sheets_and_odd_names_safe_files(tmp_path):
    cfg = load("crm_export")["list_workbooks"]
    empty = pd.DataFrame(columns=["manager", "list_name", "customer_id"])
    res = export_list_workbooks(empty, empty, tmp_path, AS_OF, cfg)
    assert list(res.workbooks) == ["Без менеджера"] and res.workbook_rows == 0
    wb = load_workbook(res.workbooks["Без менеджера"])
    assert wb.sheetnames == list(cfg["sheets"].values())
    assert [c.value for c in wb["Реактивация"][1]] == list(cfg["list_columns"].values())  # the full header
    assert file_stem('../a/b:"c"') == "a_b_c" and file_stem("   ") == "manager"
