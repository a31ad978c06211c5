"""Sentinel dates and non-numbers that real exports carry (0001-01-01, 9999-12-31, NaN, inf,
1e309) are values the pipeline cannot use: they count as unparsed, with their text kept, and the
run finishes — never a failed run or a NaN revenue."""

from __future__ import annotations

import math

import duckdb

from tests.support.pipeline import failure_messages, run_pipeline

AS_OF = "2024-06-30"
CONTACTS = """contact_id,full_name,phone,birth_date
1,Иванов Иван,+7 912 345-67-01,0001-01-01
2,Петров Пётр,+7 912 345-67-02,9999-12-31
3,Сидоров Сидор,+7 912 345-67-03,19560409
4,Кузнецова Мария,+7 912 345-67-04,01.01.0001
"""
ORDERS = """order_id,contact_id,order_date,amount
A1,1,2024-01-10,NaN
A2,1,2024-02-10,inf
A3,2,2024-03-10,1e309
A4,2,2024-03-11,1e308
A5,3,2024-04-10,1 234,56
A6,3,0001-01-01,100
A7,4,9999-12-31,200
A8,4,2024-05-01,-Infinity
A9,4,2024-05-02,300
"""


def test_sentinel_dates_and_non_numbers_are_unparsed_not_fatal(tmp_path):
    landing = tmp_path / "landing"
    (landing / "crm").mkdir(parents=True)
    (landing / "crm" / "contacts.csv").write_text(CONTACTS, encoding="utf-8")
    # ';' keeps the decimal comma of "1 234,56" inside one field
    (landing / "crm" / "orders.csv").write_text(ORDERS.replace(",", ";").replace("1 234;56", "1 234,56"),
                                                encoding="utf-8")
    run = run_pipeline(tmp_path / "run", landing, AS_OF)
    assert run.result.success, failure_messages(run.result)
    con = duckdb.connect(str(run.warehouse), read_only=True)
    orders = dict(con.execute("SELECT order_id, amount FROM staging.stg_orders").fetchall())
    assert len(orders) == 9  # every landed order is still there
    # money is DECIMAL(18, 2) from staging on: exact cents, no binary fraction
    assert str(orders["A5"]) == "1234.56" and orders["A9"] == 300 and orders["A6"] == 100
    assert all(orders[k] is None for k in ("A1", "A2", "A3", "A4", "A8"))
    dates = dict(con.execute("SELECT order_id, order_date FROM staging.stg_orders").fetchall())
    assert dates["A6"] is None and dates["A7"] is None and dates["A5"].isoformat() == "2024-04-10"
    births = dict(con.execute("SELECT contact_id, birth_date FROM staging.stg_crm_contacts").fetchall())
    assert births["1"] is None and births["2"] is None and births["4"] is None
    assert births["3"].isoformat() == "1956-04-09"
    unparsed = con.execute("SELECT count(*) FROM quality.quality_contact_records "
                           "WHERE list_contains(dq_reasons, 'birth_date_unparsed')").fetchone()[0]
    assert unparsed == 3
    monetary = [m for (m,) in con.execute("SELECT monetary FROM marts.customer_360").fetchall() if m is not None]
    assert monetary and all(math.isfinite(m) for m in monetary)
