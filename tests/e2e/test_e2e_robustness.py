"""End to end on exports that look like real ones: partial columns, Russian headers in CP1251,
numeric ids, US dates, an empty file, a file of garbage — the run must succeed and explain itself.
"""

from __future__ import annotations

import duckdb

from tests.support.pipeline import failure_messages, run_pipeline

AS_OF = "2011-12-09"


def _orders_us() -> str:
    # An online-retail style order log (Online Retail II headers): invoice lines (the id repeats),
    # quantity × price but no amount, month-first dates, numeric customer ids (some through a float
    # column: 12346.0), no status / category, a cancelled invoice with a negative quantity.
    lines = ["Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country"]
    for customer in range(12346, 12366):
        for k in range(1 + customer % 4):
            month = 1 + (customer + k * 3) % 11
            invoice = f"5{customer}{k}"
            when = f"{month}/{13 + k}/2011 10:{k:02d}"
            lines.append(f"{invoice},85123A,WHITE HANGING HEART,2,{when},{10 + k * 5}.5,{customer}.0,United Kingdom")
            lines.append(f"{invoice},71053,WHITE METAL LANTERN,{3 + k},{when},3.39,{customer},United Kingdom")
    lines.append("C581484,23843,PAPER CRAFT,-80995,12/9/2011 09:27,2.08,12346,United Kingdom")
    return "\n".join(lines) + "\n"


CONTACTS_CP1251 = "ФИО;Телефон;Рабочий e-mail;Код клиента\n" + "\n".join(
    f"Клиент {i};8 (9{i % 10}1) 5{i % 10}{i % 7}-1{i % 9}-2{i % 5};client{i}@mail.ru;{12346 + i}" for i in range(20)
) + "\n"


def test_partial_and_foreign_exports_run_end_to_end(tmp_path):
    landing = tmp_path / "landing"
    (landing / "crm").mkdir(parents=True)
    (landing / "marketing").mkdir()
    (landing / "support").mkdir()
    (landing / "crm" / "orders_online_retail.csv").write_text(_orders_us(), encoding="utf-8")
    (landing / "crm" / "contacts_export.csv").write_bytes(CONTACTS_CP1251.encode("cp1251"))
    (landing / "marketing" / "events.csv").write_text("event_id,occurred_at,contact_id,event_type\n", encoding="utf-8")
    (landing / "support" / "tickets.csv").write_bytes(b"\x00\xff\xfe garbage \x00" * 50)
    mapping = tmp_path / "config" / "mappings"
    mapping.mkdir(parents=True)
    (mapping / "online_retail.yaml").write_text(
        "source: crm_orders\ncolumns:\n  order_id: [Invoice]\n  contact_id: ['Customer ID']\n"
        "  order_date: [InvoiceDate]\n  category: [Description]\n",
        encoding="utf-8",
    )
    # the user's config folder reaches the run through the settings resource, as the CLI passes it
    run = run_pipeline(tmp_path / "run", landing, AS_OF, config_dir=tmp_path / "config")
    assert run.result.success, failure_messages(run.result)

    con = duckdb.connect(str(run.warehouse), read_only=True)  # raw.* and staging.* are not published
    # the garbage file is one rejected unit with a reason; the header-only file lands nothing
    rejected = con.execute("SELECT file, line, reason FROM raw.rejected_rows").fetchall()
    assert [(f, line) for f, line, _ in rejected] == [("support/tickets.csv", 0)]
    # invoice lines are summed per invoice; the Country column is kept in _extra
    assert con.execute("SELECT count(*) FROM raw.crm_orders WHERE _extra LIKE '%United Kingdom%'").fetchone()[0] > 0
    lines, invoices = con.execute(
        "SELECT sum(line_count), count(*) FROM intermediate.int_customer_orders").fetchone()
    assert lines == 2 * invoices - 1  # every invoice has two lines but the cancellation
    # no amount column: a line's amount is quantity × price
    assert con.execute(
        "SELECT count(*) FROM staging.stg_orders WHERE amount IS DISTINCT FROM quantity * unit_price").fetchone()[0] == 0
    assert con.execute("SELECT status_class FROM staging.stg_orders WHERE order_id = 'C581484'").fetchone()[0] == "returned"
    # month-first dates: 12/9/2011 is 9 December, the as-of date itself
    assert con.execute("SELECT max(order_date) FROM staging.stg_orders").fetchone()[0].isoformat() == AS_OF
    # contacts with «Код клиента» join their orders through the numeric id; placeholder names are flagged
    c360 = con.execute("SELECT count(*), count(rfm_code) FROM marts.customer_360").fetchone()
    assert c360[0] == con.execute("SELECT count(*) FROM core.customers").fetchone()[0]
    assert c360 == (20, 20)  # each contact joined its own orders: 20 customers, all buyers
    assert con.execute("SELECT count(*) FROM staging.stg_crm_contacts WHERE is_placeholder_name").fetchone()[0] == 20
