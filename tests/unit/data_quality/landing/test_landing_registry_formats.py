"""Incremental / idempotent registry, user mappings, XLSX and mail readers."""

from __future__ import annotations

import datetime as dt
import json
import os

import pytest

from data_quality.landing import ingest_landing, load_landing_config
from data_quality.landing.mail_reader import clean_body
from tests.support.landing import ok, q, write

# ------------------------------------------------------------------------------------------ registry


def test_rerun_unchanged_changes_nothing_changed_file_replaces_deleted_file_removed(tmp_path, con):
    land = tmp_path / "land"
    write(land, "crm/contacts.csv", "contact_id,full_name\n1,A\n2,B\n")
    write(land, "crm/contacts_2.csv", "contact_id,full_name\n9,Z\n")
    t1 = dt.datetime(2024, 1, 1, 10)
    ingest_landing(con, land, now=t1)
    snap = q(con, "SELECT * FROM raw.crm_contacts ORDER BY ALL")
    reg = q(con, "SELECT * FROM raw.file_registry ORDER BY path")
    rep = ingest_landing(con, land, now=dt.datetime(2024, 1, 2))
    assert {f.status for f in rep.files} == {"unchanged"}
    assert q(con, "SELECT * FROM raw.crm_contacts ORDER BY ALL") == snap
    assert q(con, "SELECT * FROM raw.file_registry ORDER BY path") == reg
    # touched but same content: still unchanged
    os.utime(land / "crm/contacts.csv", ns=(1, 1))
    rep = ingest_landing(con, land, now=dt.datetime(2024, 1, 3))
    assert {f.status for f in rep.files} == {"unchanged"}
    assert q(con, "SELECT * FROM raw.crm_contacts ORDER BY ALL") == snap
    # changed file replaces only its own rows
    write(land, "crm/contacts.csv", "contact_id,full_name\n1,A2\n3,C\n,x\n")
    rep = ingest_landing(con, land, now=dt.datetime(2024, 1, 4))
    assert {f.path: f.status for f in rep.files} == {"crm/contacts.csv": "loaded_with_rejects",
                                                     "crm/contacts_2.csv": "unchanged"}
    assert q(con, "SELECT contact_id, full_name, _source_file FROM raw.crm_contacts ORDER BY 1") == [
        ("1", "A2", "crm/contacts.csv"), ("3", "C", "crm/contacts.csv"), ("9", "Z", "crm/contacts_2.csv")]
    assert q(con, "SELECT file, line, reason FROM raw.rejected_rows") == [("crm/contacts.csv", 4, "empty_id")]
    ok(con)
    # deleted file: rows and rejects removed, logged
    (land / "crm/contacts.csv").unlink()
    rep = ingest_landing(con, land, now=dt.datetime(2024, 1, 5))
    assert [f.status for f in rep.files if f.path == "crm/contacts.csv"] == ["deleted"]
    assert any("disappeared" in w for w in rep.warnings)
    assert q(con, "SELECT contact_id FROM raw.crm_contacts") == [("9",)]
    assert q(con, "SELECT count(*) FROM raw.rejected_rows") == [(0,)]
    assert q(con, "SELECT path FROM raw.file_registry") == [("crm/contacts_2.csv",)]
    ok(con)


def test_registry_columns_and_lineage(tmp_path, con):
    land = tmp_path / "land"
    write(land, "phone/calls.csv", "call_id,started_at\nk1,2024-01-01\n")
    ingest_landing(con, land, now=dt.datetime(2024, 5, 1, 12))
    (row,) = q(con, 'SELECT path, size, length(sha256), ingested_at, "table", landed_rows, raw_rows, '
                    "rejected_rows, status FROM raw.file_registry")
    assert row == ("phone/calls.csv", 33, 64, dt.datetime(2024, 5, 1, 12), "phone_calls", 1, 1, 0, "loaded")
    (lin,) = q(con, "SELECT _source_file, _line, _ingested_at, length(_row_hash) FROM raw.phone_calls")
    assert lin == ("phone/calls.csv", 2, dt.datetime(2024, 5, 1, 12), 32)


def test_user_mapping_folder_via_config_dir(tmp_path, con, monkeypatch):
    cfgdir = tmp_path / "cfg"
    write(cfgdir, "mappings/my_export.yaml",
          "source: crm_contacts\ncolumns:\n  contact_id: ['Код партнёра']\n  phone: ['Тел. сотовый']\n")
    monkeypatch.setenv("CLIENTPULSE_CONFIG_DIR", str(cfgdir))
    land = tmp_path / "land"
    write(land, "crm/contacts.csv", "Код партнера;Тел. сотовый;Телефон;Прочее\n0001;8912;8495;z\n")
    ingest_landing(con, land)
    (r,) = q(con, "SELECT contact_id, phone, _extra FROM raw.crm_contacts")
    assert r[:2] == ("0001", "8912")
    assert json.loads(r[2]) == {"Телефон": "8495", "Прочее": "z"}


def test_bad_user_mapping_is_a_clear_error(tmp_path, monkeypatch):
    write(tmp_path, "mappings/x.yaml", "source: crm_contacts\ncolumns:\n  telephone: [Tel]\n")
    with pytest.raises(ValueError, match="telephone"):
        load_landing_config(mapping_dirs=[tmp_path / "mappings"])


# ------------------------------------------------------------------------------------------ xlsx


def test_xlsx_types_become_text(tmp_path, con):
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "2024"
    ws.append(["ID заказа", "Код клиента", "Дата заказа", "Сумма", "Кол-во", "Статус", "Менеджер"])
    ws.append([1001, "007", dt.datetime(2024, 3, 1), 1500.5, 2.0, "оплачен", "Ann"])
    ws.append([1002.0, 7, dt.datetime(2024, 3, 2, 14, 30), -10, None, None, None])
    ws.append([None, None, None, None, None, None, None])
    ws.append([None, "x", dt.date(2099, 1, 1), 5, 1, None, None])
    ws.append([1001, "007", dt.datetime(2024, 3, 1), 1500.5, 2.0, "оплачен", "Ann"])  # exact repeat
    ws2 = wb.create_sheet("notes")
    ws2.append(["just", "notes"])
    p = tmp_path / "land/crm/orders_archive.xlsx"
    p.parent.mkdir(parents=True)
    wb.save(p)
    rep = ingest_landing(con, tmp_path / "land")
    assert rep.files[0].reader == "xlsx:openpyxl"
    got = q(con, "SELECT order_id, contact_id, order_date, amount, quantity, status, _line, _extra "
                 "FROM raw.crm_orders ORDER BY _line")
    assert [g[:7] for g in got] == [
        ("1001", "007", "2024-03-01", "1500.5", "2", "оплачен", 2),
        ("1002", "7", "2024-03-02 14:30:00", "-10", None, None, 3)]
    assert json.loads(got[0][7]) == {"Менеджер": "Ann", "_sheet": "2024"}
    assert q(con, "SELECT line, reason FROM raw.rejected_rows ORDER BY line") == [(5, "empty_id"),
                                                                                (6, "duplicate_row")]
    ok(con)


def test_corrupt_xlsx_rejected(tmp_path, con):
    write(tmp_path, "land/crm/contacts.xlsx", b"PK\x03\x04 not really a zip")
    rep = ingest_landing(con, tmp_path / "land")
    assert rep.files[0].status == "rejected"
    ok(con)


def test_truncated_xlsx_rejected_whole_as_unreadable_in_registry_and_rejected_rows(tmp_path, con):
    """A workbook cut short loses its zip directory at the end; it is a broken xlsx, not an unknown format."""
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    wb.active.append(["contact_id", "full_name"])
    for i in range(300):
        wb.active.append([f"c{i}", f"Name {i}"])
    whole = tmp_path / "whole.xlsx"
    wb.save(whole)
    write(tmp_path, "land/crm/contacts_truncated.xlsx", whole.read_bytes()[:3000])
    write(tmp_path, "land/crm/contacts_text.xlsx", b"contact_id,full_name\n1,Ann\n")  # not a zip at all
    ingest_landing(con, tmp_path / "land")
    reg = dict(q(con, "SELECT path, status || ' ' || message FROM raw.file_registry"))
    assert reg["crm/contacts_truncated.xlsx"].startswith("rejected unreadable_xlsx: truncated or corrupt zip")
    assert reg["crm/contacts_text.xlsx"].startswith("rejected unknown_format")
    reasons = dict(q(con, "SELECT file, split_part(reason, ':', 1) FROM raw.rejected_rows"))
    assert reasons == {"crm/contacts_truncated.xlsx": "unreadable_xlsx", "crm/contacts_text.xlsx": "unknown_format"}
    ok(con)


# ------------------------------------------------------------------------------------------ mail

EML_QP = (
    "Message-ID: <abc.123@client.ru>\r\n"
    "From: =?utf-8?b?0JjQstCw0L0g0J/QtdGC0YDQvtCy?= <Ivan@Client.ru>\r\n"
    "To: Sales <sales@clientpulse-demo.ru>, boss@clientpulse-demo.ru\r\n"
    "Cc: other@x.ru\r\n"
    "Date: Fri, 01 Mar 2024 10:15:00 +0300\r\n"
    "Subject: =?utf-8?q?=D0=92=D0=BE=D0=BF=D1=80=D0=BE=D1=81?=\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
    "=D0=94=D0=BE=D0=B1=D1=80=D1=8B=D0=B9 =D0=B4=D0=B5=D0=BD=D1=8C!\r\n"
    "=D0=93=D0=B4=D0=B5 =D0=B7=D0=B0=D0=BA=D0=B0=D0=B7?\r\n"
    "--\r\n"
    "=D0=98=D0=B2=D0=B0=D0=BD\r\n"
    "\r\n"
    "> old quoted text\r\n")


def _eml_b64_html() -> bytes:
    from email.message import EmailMessage

    m = EmailMessage()
    m["Message-ID"] = "<out-1@clientpulse-demo.ru>"
    m["From"] = "Менеджер <manager@clientpulse-demo.ru>"
    m["To"] = "ivan@client.ru"
    m["Date"] = "Sat, 02 Mar 2024 09:00:00 +0000"
    m["Subject"] = "Ответ"
    m.set_content("<html><body><p>Здравствуйте, Иван!</p><p>Заказ в пути.</p>"
                  "<div>С уважением,<br>Анна</div></body></html>", subtype="html", charset="koi8-r",
                  cte="base64")
    return bytes(m)


def test_eml_headers_bodies_direction(tmp_path, con):
    land = tmp_path / "land"
    write(land, "mail/in.eml", EML_QP)
    write(land, "mail/out.eml", _eml_b64_html())
    ingest_landing(con, land)
    got = q(con, "SELECT message_id, sent_at, from_address, to_address, subject, body, direction, _extra, _line "
                 "FROM raw.mail_messages ORDER BY _source_file")
    inbound, outbound = got
    assert inbound[:7] == ("<abc.123@client.ru>", "2024-03-01T10:15:00+03:00", "Ivan@Client.ru",
                           "sales@clientpulse-demo.ru, boss@clientpulse-demo.ru", "Вопрос",
                           "Добрый день!\nГде заказ?", "inbound")
    extra = json.loads(inbound[7])
    assert extra["from_name"] == "Иван Петров" and extra["cc_address"] == "other@x.ru"
    assert "> old quoted text" in extra["body_original"]
    assert inbound[8] == 1
    assert outbound[0] == "<out-1@clientpulse-demo.ru>" and outbound[6] == "outbound"
    assert outbound[5] == "Здравствуйте, Иван!\nЗаказ в пути."
    ok(con)


def test_mbox_messages_and_rejects(tmp_path, con):
    msgs = [
        ("<m1@x.ru>", "a@x.ru", "first"),
        ("<m2@x.ru>", "b@clientpulse-demo.ru", "second"),
        ("<m1@x.ru>", "a@x.ru", "dup"),
        ("", "c@x.ru", "no id"),
    ]
    parts = []
    for mid, frm, body in msgs:
        hdr = f"Message-ID: {mid}\n" if mid else ""
        parts.append(f"From {frm} Mon Jan  1 00:00:00 2024\n{hdr}From: {frm}\nTo: z@y.ru\n"
                     f"Date: Mon, 1 Jan 2024 00:00:00 +0000\nSubject: s\n\n{body}\n>From quoted line\n\n")
    write(tmp_path, "land/mail/archive.mbox", "".join(parts))
    write(tmp_path, "land/mail/broken.mbox", "not an mbox at all\n")
    write(tmp_path, "land/mail/empty.eml", b"")
    write(tmp_path, "land/mail/garbage.eml", "just some words\nwithout headers\n")
    ingest_landing(con, tmp_path / "land")
    # a message without Message-ID gets an id derived from its content (surrogate_id)
    got = q(con, "SELECT message_id, direction, body, _line FROM raw.mail_messages ORDER BY _line")
    assert got[:2] == [("<m1@x.ru>", "inbound", "first", 1), ("<m2@x.ru>", "outbound", "second", 2)]
    assert len(got) == 3 and got[2][0].startswith("h:") and got[2][1:] == ("inbound", "no id", 4)
    assert q(con, "SELECT file, line, split_part(reason, ':', 1) FROM raw.rejected_rows ORDER BY file, line") == [
        ("mail/archive.mbox", 3, "duplicate_id"),
        ("mail/broken.mbox", 0, "not_an_mbox"), ("mail/empty.eml", 0, "empty_file"),
        ("mail/garbage.eml", 0, "not_an_email")]
    ok(con)


def test_clean_body_strips_quotes_and_signature():
    body = ("Спасибо, получили.\n\nС уважением,\nИван\n+7 912 000\n\n"
            "Пн, 1 янв. 2024 г. в 10:00, Анна <a@x.ru> написал(а):\n> Добрый день\n> Ваш заказ")
    assert clean_body(body) == "Спасибо, получили."
    assert clean_body("Hi\n-----Original Message-----\nFrom: x") == "Hi"
    assert clean_body("Только текст") == "Только текст"


def test_eml_malformed_folded_address_is_kept_as_written(tmp_path, con):
    write(tmp_path, "land/mail/m.eml",
          "Message-ID: <q1@x>\nDate: Tue, 12 Aug 2025 15:23:33 +0300\n"
          "From: =?utf-8?b?0K/RgNC+0YHQu9Cw0LIg0JTQtdC80LjQtNC+0LI=?= <y.demidov@\n"
          " =?utf-8?q?resurstreyd?=..ru>\nTo: k@clientpulse-demo.ru\nSubject: s\n\nhi\n")
    ingest_landing(con, tmp_path / "land")
    (r,) = q(con, "SELECT from_address, direction, _extra::JSON->>'from_name' FROM raw.mail_messages")
    assert r == ("y.demidov@resurstreyd..ru", "inbound", "Ярослав Демидов")


def test_generated_landing_folder_ingests_with_zero_rejects(tmp_path, con):
    synthetic = pytest.importorskip("sample_data")
    if not hasattr(synthetic, "generate"):
        pytest.skip("synthetic generator not available")
    synthetic.generate(customers=120, seed=3, out_dir=tmp_path / "landing", end_date="2026-11-15")
    rep = ingest_landing(con, tmp_path / "landing")
    # the demo's chat exports carry the service lines real exports have («joined», pinned): those,
    # and only those, are rejected as system_message
    chat = [f for f in rep.files if f.path.startswith("chat/")]
    assert chat and all(f.status in ("loaded", "loaded_with_rejects") for f in chat)
    others = [f for f in rep.files if not f.path.startswith("chat/")]
    assert others and all(f.status == "loaded" for f in others), [
        (f.path, f.status, f.message) for f in others if f.status != "loaded"]
    assert q(con, "SELECT count(*) FROM raw.rejected_rows WHERE NOT (file LIKE 'chat/%' AND reason LIKE 'system_message%')"
             ) == [(0,)]
    assert q(con, "SELECT count(*) FROM raw.mail_messages WHERE direction IS NULL") == [(0,)]
    ok(con)
