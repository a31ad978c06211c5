"""Files whose name matches no pattern are routed by name hint or by their headers."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from data_quality.landing import ingest_landing, load_landing_config
from data_quality.landing import routing as routing_mod
from data_quality.landing.discovery import discover
from data_quality.landing.routing import name_hits, route_file, score_headers
from tests.support.landing import ok, q, write


def xlsx(path: Path, sheets: dict[str, list[list]]) -> Path:
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for r in rows:
            ws.append(r)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def route_of(tmp_path: Path, cfg, rel: str):
    (f,) = [f for f in discover(tmp_path, cfg) if f.relpath == rel]
    route = route_file(f, cfg)
    route.close()
    return route


# ------------------------------------------------------------------------------------------ pure parts


@pytest.mark.parametrize("name,tables", [
    ("amocrm_export_contacts_2024-05-01.csv", ["crm_contacts"]),
    ("CONTACT_20240501.csv", ["crm_contacts"]),
    ("Контакты.xlsx", ["crm_contacts"]),
    ("КОНТАКТЫ клиентов.csv", ["crm_contacts"]),
    ("Сделки.xlsx", ["crm_orders"]),
    ("bitrix_DEALS.csv", ["crm_orders"]),
    ("Заказы_клиентов.csv", ["crm_contacts", "crm_orders"]),
    ("export_2024.csv", []),
])
def test_name_hints_anywhere_any_case_cyrillic(cfg, name, tables):
    assert list(name_hits(cfg.in_folder("crm"), name)) == tables


def test_shared_headers_count_less_and_signatures_decide_fit(cfg):
    header = ["ID", "Стадия сделки", "Сумма", "Дата создания", "Ответственный"]
    scores = score_headers(cfg.in_folder("crm"), [header])
    orders, contacts = scores["crm_orders"], scores["crm_contacts"]
    # ID and «Дата создания» map in both sources (1/2 each); status and amount only in orders
    assert orders.score == 3 and orders.signature == ("order_id",)
    assert contacts.score == 2 and contacts.signature == ("contact_id",)
    no_id = score_headers(cfg.in_folder("crm"), [["Дата заказа", "Сумма", "Товар"]])
    assert no_id["crm_orders"].signature == ("order_date", "amount")
    assert no_id["crm_contacts"].signature is None


def test_bad_signature_is_a_clear_error():
    doc = {"sources": {t: {} for t in ("crm_contacts", "mail_messages", "phone_calls", "support_tickets",
                                       "marketing_events")}}
    doc["sources"]["crm_orders"] = {"folder": "crm", "signatures": [["order_id"], ["when"]]}
    with pytest.raises(ValueError, match="signatures"):
        load_landing_config(doc, mapping_dirs=[])


# ------------------------------------------------------------------------------------------ routing


def test_headers_route_a_file_without_name_hint(tmp_path, cfg):
    write(tmp_path, "crm/выгрузка_2024.csv", "Номер заказа;Код клиента;Дата заказа;Сумма\nA-1;101;03.05.2024;1500\n")
    route = route_of(tmp_path, cfg, "crm/выгрузка_2024.csv")
    assert (route.table, route.routed_by) == ("crm_orders", "headers")
    assert "crm_orders 3.5" in route.detail and "crm_contacts 0.5" in route.detail


def test_name_hint_picks_among_fitting_sources(tmp_path, cfg):
    # a deal export also names a contact, a company and a manager: by headers alone contacts score more
    header = ["ID", "Название сделки", "Стадия сделки", "Сумма", "Контакт", "Компания", "Дата создания",
              "Ответственный"]
    row = [9001, "Поставка", "Успешна", 15000, "Пётр Сидоров", "ООО Ромашка", dt.datetime(2024, 5, 2), "Иванова"]
    xlsx(tmp_path / "crm/Сделки.xlsx", {"Сделки": [header, row]})
    xlsx(tmp_path / "crm/export.xlsx", {"Sheet": [header, row]})
    assert route_of(tmp_path, cfg, "crm/export.xlsx").table == "crm_contacts"
    route = route_of(tmp_path, cfg, "crm/Сделки.xlsx")
    assert (route.table, route.routed_by) == ("crm_orders", "name_hint")
    assert "'сделк'" in route.detail


def test_headers_overrule_a_name_hint_whose_signature_is_missing(tmp_path, cfg):
    write(tmp_path, "crm/client_sales.csv", "Order ID,Date,Total\n1,2024-05-01,100\n")
    route = route_of(tmp_path, cfg, "crm/client_sales.csv")
    assert (route.table, route.routed_by) == ("crm_orders", "name_hint")
    write(tmp_path, "crm/clients_2024.csv", "Order ID,Date,Total\n1,2024-05-01,100\n")
    route = route_of(tmp_path, cfg, "crm/clients_2024.csv")
    assert (route.table, route.routed_by) == ("crm_orders", "headers")
    assert "overruled" in route.detail


def test_name_hint_alone_routes_when_no_source_fits(tmp_path, con, cfg):
    write(tmp_path, "crm/amo_contacts.csv", "Имя,Телефон\nИван,89164821735\n")
    route = route_of(tmp_path, cfg, "crm/amo_contacts.csv")
    assert (route.table, route.routed_by) == ("crm_contacts", "name_hint")
    rep = ingest_landing(con, tmp_path, cfg)
    (f,) = rep.files
    assert (f.table, f.status) == ("crm_contacts", "loaded_with_rejects")
    assert q(con, "SELECT reason FROM raw.rejected_rows") == [("missing_id_column",)]
    assert "contact_id" in f.message and "Телефон" in f.message
    ok(con)


def test_name_hint_without_any_mapped_header_is_not_enough(tmp_path, con, cfg):
    write(tmp_path, "crm/contacts_notes.txt", "Позвонить всем до пятницы\nи ещё раз в понедельник\n")
    rep = ingest_landing(con, tmp_path, cfg)
    (f,) = rep.files
    assert (f.status, f.routed_by, f.rejected_rows) == ("rejected", None, 1)
    assert "name hints crm_contacts ('contact')" in f.message
    ok(con)


def test_tie_without_hint_is_rejected_as_ambiguous(tmp_path, cfg):
    write(tmp_path, "crm/export.csv", "ID,Дата создания\n1,2024-01-01\n")
    route = route_of(tmp_path, cfg, "crm/export.csv")
    assert route.routed_by is None
    assert route.reject_reason.startswith("unknown_format") and "ambiguous" in route.reject_reason


def test_user_mapping_takes_part_in_routing(tmp_path, con):
    write(tmp_path, "land/crm/partners.csv", "Код партнёра;Наименование;Тел. сотовый\nP1;ООО Ромашка;89164821735\n")
    rep = ingest_landing(con, tmp_path / "land", load_landing_config(mapping_dirs=[]))
    assert rep.files[0].status == "rejected"
    write(tmp_path, "cfg/mappings/partners.yaml",
          "source: crm_contacts\ncolumns:\n  contact_id: ['Код партнёра']\n  phone: ['Тел. сотовый']\n")
    mapped = load_landing_config(mapping_dirs=[tmp_path / "cfg/mappings"])
    # the routing config changed: the rejected, otherwise unchanged file is routed again
    rep = ingest_landing(con, tmp_path / "land", mapped)
    (f,) = rep.files
    assert (f.table, f.status, f.routed_by) == ("crm_contacts", "loaded", "headers")
    assert q(con, "SELECT contact_id, full_name, phone FROM raw.crm_contacts") == [
        ("P1", "ООО Ромашка", "89164821735")]
    assert q(con, "SELECT count(*) FROM raw.rejected_rows") == [(0,)]
    ok(con)


def test_patterned_files_are_not_rerouted_by_headers(tmp_path, con, cfg):
    write(tmp_path, "crm/contacts_2024.csv", "order_id,order_date,amount\n1,2024-01-01,10\n")
    rep = ingest_landing(con, tmp_path, cfg)
    (f,) = rep.files
    assert (f.table, f.routed_by) == ("crm_contacts", "pattern")
    assert q(con, "SELECT reason FROM raw.rejected_rows") == [("missing_id_column",)]


def test_single_source_folder_routes_by_headers(tmp_path, con, cfg):
    write(tmp_path, "phone/export_pbx.csv", "ID звонка,Дата звонка,Номер\nc1,2024-01-01 10:00,+375 29 612-45-67\n")
    rep = ingest_landing(con, tmp_path, cfg)
    assert [(f.table, f.routed_by) for f in rep.files] == [("phone_calls", "headers")]
    assert q(con, "SELECT call_id, phone FROM raw.phone_calls") == [("c1", "+375 29 612-45-67")]


def test_multi_sheet_workbook_routed_by_its_best_sheet(tmp_path, con, cfg):
    xlsx(tmp_path / "crm/Выгрузка.xlsx", {
        "Инструкция": [["Эта выгрузка сделана вручную"]],
        "Данные": [["Код клиента", "ФИО", "Мобильный телефон"], ["007", "Анна Ким", "89164821735"]],
    })
    rep = ingest_landing(con, tmp_path, cfg)
    assert [(f.table, f.routed_by, f.status) for f in rep.files] == [("crm_contacts", "headers", "loaded")]
    (r,) = q(con, "SELECT contact_id, full_name, _extra FROM raw.crm_contacts")
    assert r[:2] == ("007", "Анна Ким") and json.loads(r[2]) == {"_sheet": "Данные"}


# ------------------------------------------------------------------------------------------ rejects


def test_unclassifiable_file_reject_lists_headers_and_what_was_missing(tmp_path, con, cfg):
    write(tmp_path, "crm/stock.csv", "Артикул;Склад;Остаток;Цена\nX1;Main;5;100\n", "cp1251")
    long_header = ",".join([f"Колонка номер {i}" for i in range(30)] + ["Очень длинное название колонки " * 3])
    write(tmp_path, "crm/wide.csv", long_header + "\n" + ",".join("x" * 31) + "\n")
    rep = ingest_landing(con, tmp_path, cfg)
    assert {f.path: (f.status, f.routed_by) for f in rep.files} == {
        "crm/stock.csv": ("rejected", None), "crm/wide.csv": ("rejected", None)}
    rows = dict((f, (line, reason, raw)) for f, line, reason, raw in q(
        con, "SELECT file, line, reason, raw_text FROM raw.rejected_rows"))
    line, reason, raw = rows["crm/stock.csv"]
    assert line == 0 and reason.startswith("unknown_format")
    assert "[Артикул, Склад, Остаток, Цена]" in reason  # decoded from CP1251, `;` split
    assert "crm_contacts needs contact_id" in reason and "crm_orders needs order_id or order_date+amount" in reason
    assert "found unit_price" in reason
    assert raw == "Артикул\tСклад\tОстаток\tЦена"
    wide = rows["crm/wide.csv"][1]
    assert "Колонка номер 19" in wide and "Колонка номер 20," not in wide and "(+11 more)" in wide
    reg = dict(q(con, "SELECT path, message FROM raw.file_registry WHERE routed_by IS NULL"))
    assert reg["crm/stock.csv"] == reason
    assert len(wide) < 1500
    ok(con)


def test_registry_rows_from_before_routing_get_pattern(tmp_path, con, cfg):
    write(tmp_path, "crm/contacts.csv", "contact_id,full_name\n1,Ann\n")
    ingest_landing(con, tmp_path, cfg)
    con.execute("UPDATE raw.file_registry SET routed_by = NULL")
    rep = ingest_landing(con, tmp_path, cfg)
    assert [(f.status, f.routed_by) for f in rep.files] == [("unchanged", "pattern")]
    assert q(con, "SELECT routed_by FROM raw.file_registry") == [("pattern",)]


def test_unreadable_content_keeps_its_own_reason(tmp_path, con, cfg):
    write(tmp_path, "crm/amo_contacts.csv", b"\x00\x01\x02garbage" * 50)
    write(tmp_path, "crm/contacts.xls", b"\xd0\xcf\x11\xe0old excel")
    ingest_landing(con, tmp_path, cfg)
    assert q(con, "SELECT file, source, split_part(reason, ':', 1) FROM raw.rejected_rows ORDER BY 1") == [
        ("crm/amo_contacts.csv", "crm_contacts", "binary_content"),
        ("crm/contacts.xls", "crm_contacts", "unknown_format")]
    ok(con)


def test_a_header_that_crashes_the_reader_rejects_only_that_file(tmp_path, con, cfg, monkeypatch):
    from data_quality.landing import xlsx_reader

    xlsx(tmp_path / "crm/Контакты.xlsx", {"S": [["ID", "ФИО"], [1, "Анна"]]})
    write(tmp_path, "crm/contacts.csv", "contact_id,full_name\n1,Ann\n")

    def broken(wb):
        raise RuntimeError("bad sheet xml")

    monkeypatch.setattr(xlsx_reader, "sheet_headers", broken)
    rep = ingest_landing(con, tmp_path, cfg)
    assert {f.path: f.status for f in rep.files} == {"crm/contacts.csv": "loaded", "crm/Контакты.xlsx": "rejected"}
    assert q(con, "SELECT source, split_part(reason, ':', 1) FROM raw.rejected_rows") == [("crm_contacts", "read_error")]
    ok(con)


# ------------------------------------------------------------------------------------------ read once


def test_header_read_once_and_not_again_while_unchanged(tmp_path, con, cfg, monkeypatch):
    from data_quality.landing import xlsx_reader

    write(tmp_path, "crm/bitrix_contacts.csv", "ID;Имя;Телефон\n7;Пётр;89164821735\n", "cp1251")
    xlsx(tmp_path / "crm/Сделки.xlsx", {"S": [["ID", "Сумма", "Дата"], [1, 10, "2024-01-01"]]})
    calls: list[str] = []

    def counting(fn, label):
        def wrapper(*a, **k):
            calls.append(label)
            return fn(*a, **k)
        return wrapper

    monkeypatch.setattr(routing_mod, "sniff_text", counting(routing_mod.sniff_text, "sniff"))
    monkeypatch.setattr(xlsx_reader, "open_workbook", counting(xlsx_reader.open_workbook, "open"))
    rep = ingest_landing(con, tmp_path, cfg)
    assert {f.path: f.status for f in rep.files} == {"crm/bitrix_contacts.csv": "loaded", "crm/Сделки.xlsx": "loaded"}
    assert sorted(calls) == ["open", "sniff"]
    assert q(con, "SELECT first_name FROM raw.crm_contacts") == [("Пётр",)]

    def boom(*a, **k):
        raise AssertionError("header read again")

    monkeypatch.setattr(routing_mod, "sample_header", boom)
    rep = ingest_landing(con, tmp_path, cfg, now=dt.datetime(2030, 1, 1))
    assert {f.status for f in rep.files} == {"unchanged"}
    assert {f.routed_by for f in rep.files} == {"name_hint"}
