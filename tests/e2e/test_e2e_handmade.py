"""End to end on a hand-made landing folder: exact identity, RFM and reconciliation.

The whole asset graph (ingest → normalise → dbt → identity → marts → ML → serving) runs on
four people whose histories are written out below, so every number can be checked by hand.
"""

from __future__ import annotations

import duckdb
import pytest

from tests.support.pipeline import failure_messages, run_pipeline

AS_OF = "2024-06-30"

CONTACTS = """contact_id,full_name,phone,email,birth_date,city,created_at,manager,comment
A1,Иванов Иван Петрович,8 (912) 407-15-33,ivan.ivanov@mail.ru,12.04.1985,Москва,2023-01-10,Смирнова,
B1,Петрова Мария,+7 903 111 22 33,,1990-02-01,Казань,10.02.2023,Смирнова,
C1,ООО Ромашка,,c.buyer@yandex.ru,,Пермь,20230301,Орлов,звонить на 8 915 000-11-22
A2,Ваня Иванов,89124071533,,,,2023-05-05,Орлов,дубль
"""

# A: three completed orders in the window + one after the as-of date (must be ignored).
# B: one order. C: two orders, the second as two line items. D: a contact id with no contact
# row. One broken row.
ORDERS = """order_id,contact_id,order_date,amount,status,category
o1,A1,2024-03-01,300,completed,tools
o2,A2,01.05.2024,200,completed,tools
o3,A1,20240620,100,completed,tools
o4,A1,2024-07-15,999,completed,tools
o5,B1,2024-01-15,50,completed,food
o6,C1,2024-06-01,"1 000,00",completed,food
o7,C1,2024-06-29,600,completed,food
o7,C1,2024-06-29,400,completed,food
o8,D9,2024-02-10,70,completed,food
o9,D9,2024-02-20,30,cancelled,food
o10,"broken,row
"""

# A US-style export: month-first slash dates, detected per file (20 > 12), so 2/3/2024 is 3 February.
ORDERS_US = """order_id,contact_id,order_date,amount,status,category
o11,B1,1/20/2024 10:05,20,completed,food
o12,B1,2/3/2024 16:40,30,completed,food
"""

MAIL = """message_id,sent_at,from_address,to_address,subject,body,direction
m1,2024-06-21 10:00,Ivan.Ivanov@mail.ru,manager@shop.ru,Спасибо,"Спасибо, всё отлично!",inbound
"""

CALLS = """call_id,started_at,phone,direction,status,duration_sec,manager
k1,2024-06-02 12:00,+79031112233,inbound,answered,300,Смирнова
"""


@pytest.fixture(scope="module")
def handmade_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("handmade")
    landing = root / "landing"
    for folder, name, text in (
        ("crm", "contacts.csv", CONTACTS),
        ("crm", "orders.csv", ORDERS),
        ("crm", "orders_us.csv", ORDERS_US),
        ("mail", "messages.csv", MAIL),
        ("phone", "calls.csv", CALLS),
    ):
        (landing / folder).mkdir(parents=True, exist_ok=True)
        (landing / folder / name).write_text(text, encoding="utf-8")
    run = run_pipeline(root, landing, AS_OF)
    assert run.result.success, failure_messages(run.result)
    return run


def _customer_of(con, source: str, record_id: str) -> str:
    return con.execute(
        "SELECT customer_id FROM core.customer_identity WHERE source = ? AND source_record_id = ?", [source, record_id]
    ).fetchone()[0]


def test_identity_merges_the_same_person_across_sources(handmade_run):
    con = duckdb.connect(str(handmade_run.serving), read_only=True)
    a = _customer_of(con, "crm_contact", "A1")
    assert _customer_of(con, "crm_contact", "A2") == a  # same phone in another format
    assert _customer_of(con, "mail", "m1") == a  # e-mail, different case
    assert _customer_of(con, "order", "o2") == a  # order of the duplicate contact
    b = _customer_of(con, "crm_contact", "B1")
    assert _customer_of(con, "call", "k1") == b
    d = _customer_of(con, "order", "o8")
    assert _customer_of(con, "order", "o9") == d  # orders of an unknown contact id join each other
    assert len({a, b, d, _customer_of(con, "crm_contact", "C1")}) == 4


def test_rfm_values_by_hand(handmade_run):
    con = duckdb.connect(str(handmade_run.serving), read_only=True)
    rows = {
        source_id: con.execute(
            "SELECT recency_days, frequency, monetary FROM marts.customer_360 WHERE customer_id = ?",
            [_customer_of(con, "crm_contact" if source_id != "D9" else "order", source_id if source_id != "D9" else "o8")],
        ).fetchone()
        for source_id in ("A1", "B1", "C1", "D9")
    }
    assert rows["A1"] == (10, 3, 600.0)  # o4 is after the as-of date
    assert rows["B1"] == (148, 3, 100.0)  # last order 3 Feb 2024 (month-first file)
    assert rows["C1"] == (1, 2, 2000.0)  # decimal comma parsed
    assert rows["D9"] == (141, 1, 70.0)  # the cancelled order does not count


def test_nothing_is_lost(handmade_run):
    con = duckdb.connect(str(handmade_run.warehouse), read_only=True)  # raw.* stays in the warehouse
    orders = con.execute("SELECT count(*) FROM raw.crm_orders WHERE _source_file = 'crm/orders.csv'").fetchone()[0]
    rejected = con.execute("SELECT count(*) FROM raw.rejected_rows WHERE source = 'crm_orders'").fetchone()[0]
    assert (orders, rejected) == (10, 1)  # o7's two line items are both kept
    # o4 is after the as-of date: not an accepted record yet; every other record has one customer
    identity = con.execute("SELECT source, count(*) FROM core.customer_identity GROUP BY 1 ORDER BY 1").fetchall()
    assert dict(identity) == {"call": 1, "crm_contact": 4, "mail": 1, "order": 10}
    assert con.execute("SELECT count(*) FROM marts.customer_360").fetchone()[0] == con.execute(
        "SELECT count(*) FROM core.customers"
    ).fetchone()[0] == 4
