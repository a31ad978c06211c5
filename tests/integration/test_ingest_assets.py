"""End to end: the Dagster ingestion assets, the reconciliation check and the sensor."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb
import pytest

from clientpulse_config import env as environment
from dagster_project.defs.ingest.assets import (
    ingest_job,
    ingest_landing_asset,
    landed_equals_raw_plus_rejected,
    landing_folder_sensor,
)
from dagster_project.resources import resources_of

assets, asset_checks, jobs, sensors = [ingest_landing_asset], [landed_equals_raw_plus_rejected], [ingest_job], [
    landing_folder_sensor]


def _resources():
    """The resources the CLI would build from the test's environment variables."""
    return resources_of(environment.from_env())


def write(root: Path, rel: str, text: str | bytes, encoding: str = "utf-8") -> None:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(text if isinstance(text, bytes) else text.encode(encoding))


@pytest.fixture()
def env(tmp_path, monkeypatch):
    landing = tmp_path / "landing"
    wh = tmp_path / "warehouse.duckdb"
    monkeypatch.setenv("CLIENTPULSE_LANDING_DIR", str(landing))
    monkeypatch.setenv("CLIENTPULSE_WAREHOUSE", str(wh))
    write(landing, "crm/contacts.csv", "contact_id,full_name,phone\n001,Иван,8912\n002,Анна,\n002,Дубль,\n")
    write(landing, "crm/contacts_bitrix.csv",
          "ID;Имя;Фамилия;Мобильный телефон;Рабочий e-mail;Дата создания\n77;Пётр;Сидоров;+7903;p@x.ru;01.02.2024\n",
          "cp1251")
    write(landing, "crm/orders.csv", "order_id,contact_id,order_date,amount\no1,001,2024-01-01,100\n")
    write(landing, "mail/messages.csv", "message_id,sent_at,from_address,to_address,subject,body\n"
                                        "m1,2024-01-01,a@client.ru,sales@clientpulse-demo.ru,Hi,Hello\n")
    write(landing, "mail/one.eml", "Message-ID: <x1@client.ru>\nFrom: A <a@client.ru>\nTo: s@clientpulse-demo.ru\n"
                                   "Date: Mon, 01 Jan 2024 10:00:00 +0300\nSubject: test\n\nBody\n")
    write(landing, "phone/calls.csv", "call_id,started_at,phone\nc1,2024-01-01 10:00,+7912\n")
    write(landing, "support/tickets.csv", b"\x00\x01\x02garbage" * 50)
    write(landing, "truth/persons.csv", "x\n1\n")
    return landing, wh


_instance = dg.DagsterInstance.ephemeral()


def _materialize():
    return dg.materialize([*assets, *asset_checks], raise_on_error=True, instance=_instance, resources=_resources())


def test_materialize_ingest_assets_and_check(env):
    _landing, wh = env
    res = _materialize()
    assert res.success
    keys = {m.asset_key.to_user_string() for m in res.get_asset_materialization_events() for m in
            [m.event_specific_data.materialization]}
    assert keys == {"raw/crm_contacts", "raw/crm_orders", "raw/mail_messages", "raw/phone_calls",
                    "raw/support_tickets", "raw/marketing_events", "raw/chat_messages", "raw/actions_log", "raw/rejected_rows",
                    "raw/file_registry"}
    checks = res.get_asset_check_evaluations()
    assert [c.passed for c in checks] == [True]
    mats = {e.event_specific_data.materialization.asset_key.path[-1]: e.event_specific_data.materialization
            for e in res.get_asset_materialization_events()}
    assert mats["crm_contacts"].metadata["dagster/row_count"].value == 3
    assert mats["crm_contacts"].metadata["rejected_rows"].value == 1
    assert "001" in mats["crm_contacts"].metadata["preview"].value
    assert mats["rejected_rows"].metadata["rejected_files"].value == 1
    logs = [r.user_message for r in _instance.all_logs(res.run_id)]
    assert any("whole file rejected" in m and "support/tickets.csv" in m for m in logs), \
        "a rejected file must be logged as a warning"
    with duckdb.connect(str(wh)) as con:
        assert con.execute("SELECT count(*) FROM raw.mail_messages").fetchone()[0] == 2
        assert con.execute("SELECT direction FROM raw.mail_messages ORDER BY _source_file").fetchall() == [
            ("inbound",), ("inbound",)]
        assert con.execute("SELECT count(*) FROM raw.marketing_events").fetchone()[0] == 0
        first = con.execute("SELECT path, sha256, ingested_at FROM raw.file_registry ORDER BY 1").fetchall()
    # idempotent second run: nothing changes
    assert _materialize().success
    with duckdb.connect(str(wh)) as con:
        assert con.execute("SELECT path, sha256, ingested_at FROM raw.file_registry ORDER BY 1").fetchall() == first
        assert con.execute("SELECT count(*) FROM raw.crm_contacts").fetchone()[0] == 3


def test_check_fails_when_rows_go_missing(env):
    _landing, wh = env
    _materialize()
    with duckdb.connect(str(wh)) as con:
        con.execute("DELETE FROM raw.crm_orders")
    result = landed_equals_raw_plus_rejected(warehouse=_resources()["warehouse"])
    assert result.passed is False
    assert result.metadata["files_failing"].value == 1


def test_sensor_cursor_follows_landing_changes(env):
    landing, _ = env
    instance = dg.DagsterInstance.ephemeral()

    def tick(cursor):
        # the warehouse resource holds the writer lock while it is open: a context manager
        with dg.build_sensor_context(instance=instance, cursor=cursor, resources=_resources()) as ctx:
            return landing_folder_sensor(ctx), ctx.cursor

    first, cursor = tick(None)
    assert isinstance(first, dg.RunRequest)
    again, _ = tick(cursor)
    assert isinstance(again, dg.SkipReason)
    write(landing, "marketing/events.csv", "event_id,event_type\ne1,email_open\n")
    req, new_cursor = tick(cursor)
    assert isinstance(req, dg.RunRequest) and new_cursor != cursor
    # truth/ and other folders do not trigger
    write(landing, "truth/other.csv", "a\n")
    assert isinstance(tick(new_cursor)[0], dg.SkipReason)


AMO_CONTACTS = (
    "ID,Полное имя контакта,Компания,Ответственный,Дата создания,Кем создан,Теги,Рабочий телефон,"
    "Мобильный телефон,Рабочий email,Личный email,Должность,Примечание\n"
    "1001,Иван Петров,ООО Ромашка,Смирнова О.,01.05.2024 10:00:00,Смирнова О.,vip,+7 495 482-17-36,"
    "8 916 482 17 35,ivan@romashka.ru,,Директор,звонить утром\n"
    "1002,Ольга Ким,,Смирнова О.,02.05.2024 11:30:00,Смирнова О.,,,+375 29 123-45-67,olga@mail.ru,,,\n"
)
BITRIX_CONTACTS = (
    "ID;Обращение;Имя;Отчество;Фамилия;Дата рождения;Мобильный телефон;Рабочий e-mail;Частный e-mail;"
    "Ответственный;Дата создания;Комментарий\n"
    "7;г-н;Пётр;Ильич;Сидоров;12.03.1980;+7 903 482-17-35;p@firma.ru;noemail@mail.ru;Иванова Е.;02.05.2024;\n"
)


def test_files_matching_no_pattern_are_routed_by_content(tmp_path, monkeypatch):
    openpyxl = pytest.importorskip("openpyxl")
    import datetime as dt

    landing, wh = tmp_path / "landing", tmp_path / "warehouse.duckdb"
    monkeypatch.setenv("CLIENTPULSE_LANDING_DIR", str(landing))
    monkeypatch.setenv("CLIENTPULSE_WAREHOUSE", str(wh))
    write(landing, "crm/amo_contacts.csv", AMO_CONTACTS)
    write(landing, "crm/bitrix_contacts.csv", BITRIX_CONTACTS, "cp1251")
    write(landing, "crm/CONTACT_20240501.csv", "ID\tИмя\tФамилия\tТелефон\tE-mail\n55\tАнна\tКим\t89164821735\t"
                                               "anna@mail.ru\n")
    write(landing, "crm/выгрузка_2024.csv", "Номер заказа;Код клиента;Дата заказа;Сумма\nA-1;1001;03.05.2024;1500\n")
    write(landing, "crm/Лист1.csv", "Артикул,Склад,Остаток\nX1,Main,5\n")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["ID", "Название сделки", "Стадия сделки", "Сумма", "Валюта", "Контакт", "ID контакта",
               "Дата создания", "Ответственный"])
    ws.append([9001, "Поставка", "Сделка успешна", 15000, "RUB", "Пётр Сидоров", 7, dt.datetime(2024, 5, 2), "Иванова"])
    ws.append([9002, "Допродажа", "В работе", 2500.5, "RUB", "Иван Петров", 1001, dt.datetime(2024, 5, 3), "Смирнова"])
    wb.save(landing / "crm" / "Сделки.xlsx")

    res = _materialize()
    assert res.success
    assert [c.passed for c in res.get_asset_check_evaluations()] == [True]
    with duckdb.connect(str(wh)) as con:
        routes = con.execute('SELECT path, "table", routed_by, status FROM raw.file_registry ORDER BY 1').fetchall()
        assert routes == [
            ("crm/CONTACT_20240501.csv", "crm_contacts", "name_hint", "loaded"),
            ("crm/amo_contacts.csv", "crm_contacts", "name_hint", "loaded"),
            ("crm/bitrix_contacts.csv", "crm_contacts", "name_hint", "loaded"),
            ("crm/Лист1.csv", "crm_contacts", None, "rejected"),
            ("crm/Сделки.xlsx", "crm_orders", "name_hint", "loaded"),
            ("crm/выгрузка_2024.csv", "crm_orders", "headers", "loaded"),
        ]
        assert con.execute("SELECT _source_file, contact_id, full_name, first_name, phone, email FROM raw.crm_contacts "
                           "ORDER BY 1, 2").fetchall() == [
            ("crm/CONTACT_20240501.csv", "55", None, "Анна", "89164821735", "anna@mail.ru"),
            ("crm/amo_contacts.csv", "1001", "Иван Петров", None, "8 916 482 17 35", "ivan@romashka.ru"),
            ("crm/amo_contacts.csv", "1002", "Ольга Ким", None, "+375 29 123-45-67", "olga@mail.ru"),
            ("crm/bitrix_contacts.csv", "7", None, "Пётр", "+7 903 482-17-35", "p@firma.ru"),
        ]
        assert con.execute("SELECT _source_file, order_id, contact_id, amount, status FROM raw.crm_orders "
                           "ORDER BY 1, 2").fetchall() == [
            ("crm/Сделки.xlsx", "9001", "7", "15000", "Сделка успешна"),
            ("crm/Сделки.xlsx", "9002", "1001", "2500.5", "В работе"),
            ("crm/выгрузка_2024.csv", "A-1", "1001", "1500", None),
        ]
        (reason,) = con.execute("SELECT reason FROM raw.rejected_rows WHERE file = 'crm/Лист1.csv' AND line = 0"
                                ).fetchone()
        assert con.execute("SELECT count(*) FROM raw.rejected_rows").fetchone()[0] == 1
    assert reason.startswith("unknown_format") and "[Артикул, Склад, Остаток]" in reason
    assert "crm_contacts needs contact_id" in reason
    logs = [r.user_message for r in _instance.all_logs(res.run_id)]
    assert any("crm/выгрузка_2024.csv" in m and "routed to raw.crm_orders by headers" in m for m in logs)


def test_definitions_load():
    defs = dg.Definitions(assets=assets, asset_checks=asset_checks, jobs=jobs, sensors=sensors, resources=_resources())
    job = defs.resolve_job_def("ingest_job")
    assert job.name == ingest_job.name
    specs = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    assert "raw/file_registry" in specs
    node = defs.resolve_asset_graph().get(dg.AssetKey(["raw", "crm_contacts"]))
    assert node.group_name == "ingest" and set(node.kinds) >= {"python", "duckdb"}
