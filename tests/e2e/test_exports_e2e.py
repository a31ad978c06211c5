"""End to end: the CRM import file, the merge list and the Excel lists on a generated sample with
hostile CRM contacts added (formula-like names, companies, cities, managers, comments), through the
whole pipeline (one run for the module).

The CRM file must import cleanly: CRM ids from the identity crosswalk, one spelling per manager,
every valid phone, nobody with nothing to write; the lists: one workbook per manager; and no cell
of any file a spreadsheet would evaluate.
"""

from __future__ import annotations

import csv

import dagster as dg
import pytest
from openpyxl import load_workbook

from clientpulse_config import load
from tests.support.pipeline import SAMPLE_AS_OF, failure_messages, run_pipeline
from tests.support.warehouse import query_df

HEADER = ("contact_id,full_name,first_name,last_name,middle_name,phone,email,birth_date,city,address,postcode,"
          "region,company,created_at,manager,comment")  # fmt: skip
HOSTILE = [
    ["H9001", '=HYPERLINK("http://x","click")', "", "", "", "+7 916 123-45-67", "", "", "-2+3+cmd|' /C calc'!A0", "",
     "", "", "@SUM(A1:A2)", "2024-01-10 10:00:00", "+SUM(1+1)", "\tзвонить после 18"],
    ["H9002", "", "+SUM(1+1)", "Хакеров", "", "8 903 555 00 11", "hacker.h9002@mail.ru", "", "\rМосква", "", "", "",
     "=1+1", "2024-02-10 10:00:00", "@SUM(A1:A2)", "=cmd|' /C calc'!A0"],
]  # fmt: skip


NUMERIC_COLUMNS = {"expected_value", "value_at_risk", "monetary", "days_since_last_purchase", "action_level", "step",
                   "rank_for_manager"}  # fmt: skip


def _csv(path, encoding, delimiter):
    with open(path, encoding=encoding, newline="") as fh:
        rows = list(csv.reader(fh, delimiter=delimiter))
    return rows[0], [dict(zip(rows[0], r)) for r in rows[1:]]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    from sample_data import generate

    root = tmp_path_factory.mktemp("exports_e2e")
    landing = root / "landing"
    generate(customers=300, seed=23, out_dir=landing, end_date=SAMPLE_AS_OF)
    with open(landing / "crm" / "contacts_hostile.csv", "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER.split(","))
        writer.writerows(HOSTILE)
    result = run_pipeline(root, landing, SAMPLE_AS_OF)
    assert result.result.success, failure_messages(result.result)
    return result


def _metadata(run, key):
    mats = [m for m in run.result.get_asset_materialization_events() if m.asset_key == dg.AssetKey(key)]
    assert mats, key
    return {k: v.value for k, v in mats[0].materialization.metadata.items()}


def _checks(run):
    return {e.asset_check_evaluation_data.check_name: e.asset_check_evaluation_data
            for e in run.result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"}  # fmt: skip


def test_crm_file_rows_ids_and_left_out(run):
    cfg = load("crm_export")
    meta = _metadata(run, ["serving", "crm_import_file"])
    header, amo = _csv(run.root / "export" / "amocrm_contacts.csv", "utf-8-sig", ",")
    assert header == list(cfg["targets"]["amocrm"]["columns"])
    customers = query_df(run.warehouse, "SELECT count(*) AS n FROM core.customers")["n"][0]
    assert len(amo) == meta["amocrm_rows"] == meta["bitrix24_rows"]
    assert len(amo) + meta["customers_left_out"] + meta["customers_filtered"] == customers
    check = _checks(run)["no_contact_left_out"]
    assert check.passed == (meta["customers_left_out"] == 0)
    # every CRM id is the crm_contact record id of that very customer; every CRM customer has one
    crm = query_df(run.warehouse, "SELECT customer_id, source_record_id FROM core.customer_identity "
                                  "WHERE source = 'crm_contact'")  # fmt: skip
    pairs = set(zip(crm.customer_id, crm.source_record_id))
    with_id = [r for r in amo if r["ID"]]
    assert with_id and all((r["Внешний ID"], r["ID"]) in pairs for r in with_id)
    written = {r["Внешний ID"] for r in amo}
    assert {r["Внешний ID"] for r in with_id} == written & set(crm.customer_id)
    assert meta["rows_with_crm_id"] == len(with_id)
    # nobody without a name, a phone and an e-mail
    for r in amo:
        assert r["Полное имя"] or r["Рабочий телефон"] or r["Рабочий email"], r


def test_list_workbooks_one_per_manager_typed_cells(run):
    cfg = load("crm_export")["list_workbooks"]
    meta = _metadata(run, ["serving", "list_workbooks"])
    assert _checks(run)["every_list_row_written"].passed
    lists = query_df(run.warehouse, "SELECT list_name, manager, customer_id, contact FROM marts.mart_action_list")
    today = query_df(run.warehouse, "SELECT manager FROM marts.mart_manager_today")
    folder = run.root / cfg["dir"] / SAMPLE_AS_OF
    managers = set(lists.manager.dropna()) | set(today.manager.dropna())
    books = sorted(folder.glob("*.xlsx"))
    assert len(books) == len(managers) + 1 == meta["workbooks"]
    per_sheet: dict[str, int] = {}
    dates = texts = numbers = 0
    for book in books:
        wb = load_workbook(book)
        assert wb.sheetnames[: len(cfg["sheets"])] == list(cfg["sheets"].values())
        for ws in wb.worksheets:
            assert ws.freeze_panes == "A2"
            header = [c.value for c in ws[1]]
            per_sheet[ws.title] = per_sheet.get(ws.title, 0) + ws.max_row - 1
            for row in ws.iter_rows(min_row=2):
                for name, c in zip(header, row):
                    assert c.data_type != "f"
                    if c.value is None:
                        continue
                    if name == "Контакт":
                        assert c.data_type == "s"
                        texts += 1
                    if name in ("Срок", "Ожидаемая покупка"):
                        assert c.is_date, (book.name, ws.title, c.value)
                        dates += 1
                    if name in ("Ценность под риском, руб.", "Уровень действия"):
                        assert c.data_type == "n"
                        numbers += 1
    assert texts and dates and numbers
    titles = cfg["sheets"]
    for key, title in titles.items():
        expected = len(today) if key == "manager_today" else int((lists.list_name == key).sum())
        assert per_sheet.get(title, 0) == expected, key



def test_hostile_contacts_are_found_by_crm_id_and_neutralised_in_both_crm_files(run):
    from data_quality.safe_cells import is_e164, needs_quote

    # H9001's only phone, +7 916 123-45-67, is a placeholder sequence: with no real name, phone or
    # e-mail it is left out (counted), not written; H9002 has a phone and an e-mail and is written
    h9001 = query_df(run.warehouse, "SELECT c.has_valid_phone, c.has_valid_email, c.company FROM core.customers c "
                                    "JOIN core.customer_identity i USING (customer_id) "
                                    "WHERE i.source = 'crm_contact' AND i.source_record_id = 'H9001'")  # fmt: skip
    assert h9001.to_dict("records") == [{"has_valid_phone": False, "has_valid_email": False, "company": "@SUM(A1:A2)"}]
    targets = load("crm_export")["targets"]
    for crm, city in (("amocrm", "Город"), ("bitrix24", "Адрес (город)")):
        spec = targets[crm]
        header, rows = _csv(run.root / "export" / spec["file"], spec["encoding"], spec["delimiter"])
        by_id = {r["ID"]: r for r in rows if r["ID"]}
        assert "H9001" not in by_id and "H9002" in by_id, crm  # found by the CRM's own contact id
        hostile = by_id["H9002"]
        for column, cell in hostile.items():
            phone = "телефон" in column
            assert not needs_quote(cell) or (phone and is_e164(cell)), (crm, column, cell)
        assert hostile["Компания"] == "'=1+1" and hostile["Ответственный"] == "'+SUM(1+1)", (crm, hostile)
        assert hostile[city] in ("Москва", "'\nМосква", "'\rМосква"), (crm, hostile[city])
        assert hostile["Рабочий телефон"] == "+79035550011"  # E.164 kept as the phone, not quoted
