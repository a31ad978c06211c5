"""End to end: an amoCRM-style export with two e-mail and three phone columns, a call log and a
mail export without ids, an order log without order ids. Every contact column is used, and the
derived ids are the records' ids in core.customer_identity."""

from __future__ import annotations

import duckdb
import pytest

from tests.support.pipeline import failure_messages, run_pipeline

AS_OF = "2024-06-30"

AMO = (
    "ID;Полное имя;Рабочий email;Личный email;Мобильный телефон;Рабочий телефон;Домашний телефон;Дата создания\n"
    # work e-mail empty: the personal one is the e-mail; the work phone is a second phone
    "101;Иванов Иван;;ivan.ivanov@mail.ru;+7 912 407-15-33;8 (495) 734-18-26;;10.01.2023\n"
    # no mobile: the work phone is the phone, the home phone the second one
    "102;Петрова Мария;m.petrova@yandex.ru;;;+7 903 618-27-41;8 (916) 555-44-38;11.01.2023\n"
)
# another export of the CRM: Иван only through the second phone of 101
CONTACTS = "contact_id,full_name,phone,email\n201,Иван Иванов,+74957341826,\n"
# a call log without call ids: the second call is the first one exported again
CALLS = ("Call Date,Caller Number,Duration\n"
         "2024-06-02 12:00,89165554438,300\n2024-06-02 12:00,89165554438,300\n2024-06-10 09:30,89124071533,60\n")
MAIL = ("Date,From,To,Subject,Content\n"
        "2024-06-21 10:00,ivan.ivanov@mail.ru,sales@shop.ru,Счёт,Пришлите счёт\n")
# an order log without order ids
ORDERS = "Код клиента;Дата;Сумма\n101;01.03.2024;1500\n102;15.05.2024;700\n201;20.06.2024;300\n"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("contact_columns")
    landing = root / "landing"
    for rel, text in (("crm/amocrm_export_contacts_2024-05-01.csv", AMO), ("crm/contacts.csv", CONTACTS),
                      ("phone/calls.csv", CALLS), ("mail/messages.csv", MAIL), ("crm/orders.csv", ORDERS)):
        (landing / rel).parent.mkdir(parents=True, exist_ok=True)
        (landing / rel).write_text(text, encoding="utf-8")
    result = run_pipeline(root, landing, AS_OF)
    assert result.result.success, failure_messages(result.result)
    con = duckdb.connect(str(result.warehouse), read_only=True)
    yield con
    con.close()


def customer(con, source: str, record_id: str) -> str:
    return con.execute("SELECT customer_id FROM core.customer_identity WHERE source = ? AND source_record_id = ?",
                       [source, record_id]).fetchone()[0]


def test_every_contact_column_reaches_staging(run):
    got = run.execute("SELECT contact_id, email, phone_e164, extra_phone_e164, extra_email FROM staging.stg_crm_contacts "
                      "WHERE contact_id IN ('101', '102') ORDER BY 1").fetchall()
    assert got == [("101", "ivan.ivanov@mail.ru", "+79124071533", "+74957341826", None),
                   ("102", "m.petrova@yandex.ru", "+79036182741", "+79165554438", None)]
    assert run.execute("SELECT count(*) FROM normalized.extra_contacts").fetchone()[0] == 2


def test_records_linked_only_through_a_second_phone_are_one_customer(run):
    ivan = customer(run, "crm_contact", "101")
    assert customer(run, "crm_contact", "201") == ivan
    assert customer(run, "crm_contact", "102") != ivan
    # the golden record shows the personal e-mail that filled the empty work e-mail
    assert run.execute("SELECT email FROM core.customers WHERE customer_id = ?", [ivan]).fetchone()[0] == \
        "ivan.ivanov@mail.ru"
    assert run.execute("SELECT count(*) FROM core.customers").fetchone()[0] == 2


def test_derived_ids_are_the_record_ids_and_link_to_customers(run):
    calls = run.execute("SELECT call_id, phone FROM raw.phone_calls ORDER BY _line").fetchall()
    assert len(calls) == 2 and all(c.startswith("h:") for c, _ in calls)
    identity = dict(run.execute("SELECT source_record_id, customer_id FROM core.customer_identity "
                                "WHERE source = 'call'").fetchall())
    assert set(identity) == {c for c, _ in calls}
    # the call from Мария's home phone (her second phone) is hers; the mobile call is Иван's
    assert identity[calls[0][0]] == customer(run, "crm_contact", "102")
    assert identity[calls[1][0]] == customer(run, "crm_contact", "101")
    (mail_id, mail_customer), = run.execute(
        "SELECT source_record_id, customer_id FROM core.customer_identity WHERE source = 'mail'").fetchall()
    assert mail_id.startswith("h:") and mail_customer == customer(run, "crm_contact", "101")
    orders = run.execute("SELECT source_record_id FROM core.customer_identity WHERE source = 'order'").fetchall()
    assert len(orders) == 3 and all(o.startswith("h:") for o, in orders)


def test_landed_rows_reconcile_and_the_repeat_is_rejected(run):
    tables = ("crm_contacts", "crm_orders", "phone_calls", "mail_messages")
    raw = " UNION ALL ".join(f"SELECT _source_file AS f FROM raw.{t}" for t in tables)
    got = run.execute(f"""
        SELECT path, landed_rows, (SELECT count(*) FROM ({raw}) WHERE f = path),
               (SELECT count(*) FROM raw.rejected_rows WHERE file = path), derived_ids
        FROM raw.file_registry ORDER BY path""").fetchall()
    assert got == [("crm/amocrm_export_contacts_2024-05-01.csv", 2, 2, 0, 0), ("crm/contacts.csv", 1, 1, 0, 0),
                   ("crm/orders.csv", 3, 3, 0, 3), ("mail/messages.csv", 1, 1, 0, 1),
                   ("phone/calls.csv", 3, 2, 1, 2)]
    assert run.execute("SELECT file, line, reason FROM raw.rejected_rows").fetchall() == [
        ("phone/calls.csv", 3, "duplicate_id")]
