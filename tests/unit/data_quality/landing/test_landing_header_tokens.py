"""Header tokens (last resort for headers no synonym knows) and contact columns fed by several
headers («Рабочий email» + «Личный email», three phone columns)."""

from __future__ import annotations

import json

import pytest

from clientpulse_config import load
from data_quality.landing import ingest_landing, load_landing_config, map_header
from data_quality.landing.spec import header_tokens
from tests.support.landing import ok, write


def tokens_only(cfg, table: str, header: list[str]) -> dict[str, str]:
    m = map_header(cfg.source(table), header)
    return {c: header[i] for c, i in m.by_tokens.items()}


def test_header_words():
    assert header_tokens("order_purchase_timestamp") == ("order", "purchase", "timestamp")
    assert header_tokens("OrderPurchaseTimestamp") == ("order", "purchase", "timestamp")
    assert header_tokens("Customer E-mail") == ("customer", "e", "mail")
    assert header_tokens("Call Duration (s)") == ("call", "duration", "s")
    assert header_tokens("Телефон2") == ("телефон", "2")


# Real-world export headers (names only): what the token rules add to the synonyms.
REAL_WORLD = [
    # Olist (Brazilian e-commerce)
    ("crm_contacts", ["customer_id", "customer_unique_id", "customer_zip_code_prefix", "customer_city",
                      "customer_state"],
     {"postcode": "customer_zip_code_prefix", "city": "customer_city", "region": "customer_state"}),
    ("crm_orders", ["order_id", "customer_id", "order_status", "order_purchase_timestamp", "order_approved_at",
                    "order_delivered_carrier_date", "order_delivered_customer_date",
                    "order_estimated_delivery_date"],
     {"status": "order_status", "order_date": "order_purchase_timestamp"}),
    ("crm_orders", ["order_id", "payment_sequential", "payment_type", "payment_installments", "payment_value"],
     {"amount": "payment_value"}),
    # freight is no order amount; price is a unit price by synonym already
    ("crm_orders", ["order_id", "order_item_id", "product_id", "seller_id", "shipping_limit_date", "price",
                    "freight_value"], {}),
    # Kaggle customer-support-tickets
    ("support_tickets", ["Ticket ID", "Customer Name", "Customer Email", "Customer Age", "Customer Gender",
                         "Product Purchased", "Date of Purchase", "Ticket Type", "Ticket Subject",
                         "Ticket Description", "Ticket Status", "Resolution", "Ticket Priority", "Ticket Channel",
                         "First Response Time", "Time to Resolution", "Customer Satisfaction Rating"],
     {"email": "Customer Email", "category": "Ticket Type", "text": "Ticket Description",
      "status": "Ticket Status"}),
    # Enron-style mail CSV: every column a synonym knows already, X-From does not steal From
    ("mail_messages", ["Message-ID", "Date", "From", "To", "Subject", "X-From", "X-To", "X-cc", "X-bcc",
                       "X-Folder", "X-Origin", "X-FileName", "content", "user"], {}),
    ("mail_messages", ["Sent Date", "Sender Email", "Recipient Email", "Email Subject", "Message Body"],
     {"sent_at": "Sent Date", "from_address": "Sender Email", "to_address": "Recipient Email",
      "subject": "Email Subject", "body": "Message Body"}),
    # generic call logs
    ("phone_calls", ["Call Start Time", "Customer Phone Number", "Call Duration (s)", "Call Direction",
                     "Call Status", "Agent Name", "Recording URL"],
     {"started_at": "Call Start Time", "phone": "Customer Phone Number", "duration_sec": "Call Duration (s)",
      "direction": "Call Direction", "status": "Call Status", "manager": "Agent Name"}),
    ("phone_calls", ["Дата и время звонка", "Номер абонента", "Длительность звонка, с", "Оператор"],
     {"started_at": "Дата и время звонка", "phone": "Номер абонента", "duration_sec": "Длительность звонка, с"}),
    # marketing
    ("marketing_events", ["Event Timestamp", "Customer Email", "Event Name"],
     {"occurred_at": "Event Timestamp", "email": "Customer Email", "event_type": "Event Name"}),
    # IBM Telco churn: PhoneService / MultipleLines are yes/no service flags, not phone numbers
    ("crm_contacts", ["customerID", "gender", "SeniorCitizen", "Partner", "Dependents", "tenure", "PhoneService",
                      "MultipleLines", "InternetService", "MonthlyCharges", "TotalCharges", "Churn"], {}),
    # Russian CRM extras
    ("crm_contacts", ["ID", "Имя", "E-mail клиента", "Мобильный номер телефона", "Дата регистрации на сайте"],
     {"email": "E-mail клиента", "phone": "Мобильный номер телефона", "created_at": "Дата регистрации на сайте"}),
]


@pytest.mark.parametrize("table,header,want", REAL_WORLD, ids=[f"{t}:{h[0]}" for t, h, _ in REAL_WORLD])
def test_real_world_headers(cfg, table, header, want):
    assert tokens_only(cfg, table, header) == want


def test_tokens_never_change_a_synonym_match(cfg):
    # every shipped synonym still maps to its column, alone and next to token-only headers
    for spec in cfg.sources:
        for canonical, syns in spec.synonyms.items():
            for syn in syns:
                got = map_header(spec, [syn, "Customer Email", "order_purchase_timestamp"])
                assert got.canonical.get(canonical) == 0, (spec.table, syn)
                assert not got.by_tokens.get(canonical), (spec.table, syn)


def test_a_filled_column_is_not_claimed_by_tokens(cfg):
    # «Телефон» fills phone: «Customer Phone» stays in _extra, not an alternate
    m = map_header(cfg.source("crm_contacts"), ["ID", "Телефон", "Customer Phone"])
    assert m.canonical == {"contact_id": 0, "phone": 1} and "Customer Phone" in m.extra


def test_two_claimants_leave_the_column_unfilled_and_say_so(cfg):
    m = map_header(cfg.source("phone_calls"), ["Call Start Time", "From Number", "To Number"])
    assert "phone" not in m.canonical
    assert m.token_notes() == ["'Call Start Time' -> started_at",
                               "phone left unfilled: 'From Number', 'To Number' all match"]


def test_a_header_claiming_two_columns_takes_none(cfg):
    # «Email Phone» matches both email and phone rules: too vague
    assert tokens_only(cfg, "crm_contacts", ["ID", "Email Phone"]) == {}


def test_token_matches_are_recorded_in_the_registry_and_reconcile(tmp_path, con, cfg):
    write(tmp_path, "support/tickets.csv", "Ticket ID,Customer Email,Ticket Description\n"
                                            "T1,ann@mail.ru,Не работает оплата\n")
    rep = ingest_landing(con, tmp_path, cfg)
    assert con.execute("SELECT ticket_id, email, text, _extra FROM raw.support_tickets").fetchall() == [
        ("T1", "ann@mail.ru", "Не работает оплата", None)]
    message = con.execute("SELECT message FROM raw.file_registry").fetchone()[0]
    assert ("header tokens (no synonym matched; pin them in mappings/*.yaml): 'Customer Email' -> email, "
            "'Ticket Description' -> text") in message
    assert any("support/tickets.csv: header tokens" in n for n in rep.notes)
    ok(con)


def test_a_pinned_mapping_replaces_the_token_match(tmp_path, cfg):
    (tmp_path / "m.yaml").write_text("source: support_tickets\ncolumns:\n  email: ['Customer Email']\n",
                                     encoding="utf-8")
    pinned = load_landing_config(mapping_dirs=[tmp_path])
    m = map_header(pinned.source("support_tickets"), ["Ticket ID", "Customer Email"])
    assert m.canonical["email"] == 1 and m.by_tokens == {}


def test_bad_token_rule_is_a_clear_error():
    doc = load("sources")  # a fresh copy: changing it leaves the cache alone
    doc["sources"]["crm_orders"]["header_tokens"] = {"order_id": {"all": [["id"]]}}
    with pytest.raises(ValueError, match="header_tokens"):
        load_landing_config(doc, mapping_dirs=[])


# --------------------------------------------------------------------------------------------
# several headers of one contact column
# --------------------------------------------------------------------------------------------

AMO = ("ID;Полное имя;Рабочий email;Личный email;Мобильный телефон;Рабочий телефон;Домашний телефон\n"
       "1;Иванов Иван;;ivan@mail.ru;+7 912 000-00-01;+7 495 000-00-02;+7 495 000-00-03\n"
       "2;Петров Пётр;petr@firm.ru;petr@mail.ru;;8 916 000-00-04;\n"
       "3;Сидоров;;;;;\n")


def test_first_filled_contact_header_wins_and_the_rest_are_kept(tmp_path, con, cfg):
    write(tmp_path, "crm/contacts.csv", AMO)
    ingest_landing(con, tmp_path, cfg)
    got = con.execute("SELECT contact_id, email, phone, _more_contacts, _extra FROM raw.crm_contacts "
                      "ORDER BY contact_id").fetchall()
    # the work e-mail is empty: the personal one is the contact's e-mail
    assert [(c, e, p) for c, e, p, _, _ in got] == [
        ("1", "ivan@mail.ru", "+7 912 000-00-01"), ("2", "petr@firm.ru", "8 916 000-00-04"), ("3", None, None)]
    assert json.loads(got[0][3]) == {"phone": ["+7 495 000-00-02", "+7 495 000-00-03"]}
    assert json.loads(got[1][3]) == {"email": ["petr@mail.ru"]}
    assert got[2][3] is None
    # the original cells stay in _extra under their headers, as before
    assert json.loads(got[0][4])["Личный email"] == "ivan@mail.ru"
    message = con.execute("SELECT message FROM raw.file_registry").fetchone()[0]
    assert "email from the first filled of ['Рабочий email', 'Личный email']" in message
    ok(con)


def test_other_columns_keep_the_first_header_only(tmp_path, con, cfg):
    # order_date is no contact column: «Дата заказа» wins even where it is empty
    write(tmp_path, "crm/orders.csv", "order_id,Дата заказа,Дата оплаты,amount\no1,,2024-03-02,10\n")
    ingest_landing(con, tmp_path, cfg)
    assert con.execute("SELECT order_date, _more_contacts FROM raw.crm_orders").fetchall() == [(None, None)]
