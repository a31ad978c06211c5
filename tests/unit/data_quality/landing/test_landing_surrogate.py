"""Surrogate ids: event-like exports without an id column (or with empty ids) land under an id
derived from their content instead of being rejected whole."""

from __future__ import annotations

import hashlib

import pytest

from clientpulse_config import load
from data_quality.landing import ingest_landing, load_landing_config
from tests.support.landing import ok, q, write


def expected_id(*fields: str) -> str:
    return "h:" + hashlib.sha1("\x1f".join(fields).encode()).hexdigest()[:16]


MAIL = """Date,From,To,Subject,Content
2024-03-01 10:00,ann@mail.ru,sales@shop.ru,Счёт,Пришлите счёт
2024-03-02 11:00,bob@mail.ru,sales@shop.ru,Возврат,Хочу вернуть
2024-03-01 10:00,ann@mail.ru,sales@shop.ru,Счёт,Пришлите счёт
"""


def test_mail_export_without_message_id_lands_with_content_ids(tmp_path, con, cfg):
    write(tmp_path, "mail/messages.csv", MAIL)
    rep = ingest_landing(con, tmp_path, cfg)
    (f,) = rep.files
    assert (f.status, f.raw_rows, f.rejected_rows, f.derived_ids) == ("loaded_with_rejects", 2, 1, 2)
    got = q(con, "SELECT message_id, from_address, _line FROM raw.mail_messages ORDER BY _line")
    # canonical order without the id: sent_at, from, to, subject, body, direction ('' unmapped)
    first = expected_id("2024-03-01 10:00", "ann@mail.ru", "sales@shop.ru", "Счёт", "Пришлите счёт", "")
    assert got[0] == (first, "ann@mail.ru", 2)
    assert got[1][0].startswith("h:") and len(got[1][0]) == 18 and got[1][0] != first
    # the exact repeat gets the same id and is rejected as a duplicate, as a keyed one would be
    assert q(con, "SELECT line, reason FROM raw.rejected_rows") == [(4, "duplicate_id")]
    (derived, message), = q(con, "SELECT derived_ids, message FROM raw.file_registry")
    assert derived == 2
    assert "ids derived for 2 records (no id column: message_id = h: + sha1 of sent_at, from_address" in message
    assert any("ids derived" in n for n in rep.notes)
    ok(con)


def test_overlapping_second_call_export_gets_the_same_ids(tmp_path, con, cfg):
    write(tmp_path, "phone/calls.csv", "Call Date,Caller Number,Duration\n"
                                        "2024-03-01 10:00,+79161234567,60\n2024-03-02 12:30,+79167654321,15\n")
    # another export of an overlapping period: other column order, an extra column, padding
    write(tmp_path, "phone/calls_week2.csv", "Duration,Call Date,Comment,Caller Number\n"
                                              "15, 2024-03-02 12:30,перезвонить,+79167654321\n"
                                              "40,2024-03-09 09:00,,+79160000001\n")
    ingest_landing(con, tmp_path, cfg)
    ids = dict(q(con, "SELECT _source_file || ':' || _line, call_id FROM raw.phone_calls"))
    assert len(ids) == 4 and all(v.startswith("h:") for v in ids.values())
    assert ids["phone/calls.csv:3"] == ids["phone/calls_week2.csv:2"]
    assert len(set(ids.values())) == 3
    assert ids["phone/calls.csv:2"] == expected_id("2024-03-01 10:00", "+79161234567", "", "", "60", "", "")
    ok(con)
    # re-ingesting (forced) derives the same ids
    ingest_landing(con, tmp_path, cfg, force=True)
    assert dict(q(con, "SELECT _source_file || ':' || _line, call_id FROM raw.phone_calls")) == ids


def test_empty_id_in_a_row_is_derived_only_when_the_row_has_content(tmp_path, con, cfg):
    write(tmp_path, "phone/calls.csv", "call_id,started_at,phone,duration_sec\n"
                                        "c1,2024-03-01 10:00,+79161234567,60\n"
                                        ",2024-03-02 12:30,+79167654321,15\n"
                                        ",,,15\n")
    rep = ingest_landing(con, tmp_path, cfg)
    assert rep.files[0].derived_ids == 1
    assert [r[0][:2] for r in q(con, "SELECT call_id FROM raw.phone_calls ORDER BY _line")] == ["c1", "h:"]
    # no date and phone (the signature started_at+phone) to tell it apart: no id, rejected
    assert q(con, "SELECT line, reason FROM raw.rejected_rows") == [(4, "empty_id")]
    assert "(empty id:" in q(con, "SELECT message FROM raw.file_registry")[0][0]
    ok(con)


def test_order_log_without_order_id_lands_and_repeats_are_rejected(tmp_path, con, cfg):
    write(tmp_path, "crm/orders.csv", "Код клиента;Дата;Сумма;Товар\n"
                                       "A1;01.03.2024;1500;чайник\nA1;01.03.2024;1500;чашка\n"
                                       "A2;02.03.2024;700;чайник\nA2;02.03.2024;700;чайник\n")
    ingest_landing(con, tmp_path, cfg)
    got = q(con, "SELECT order_id, contact_id, category FROM raw.crm_orders ORDER BY _line")
    assert [(c, k) for _, c, k in got] == [("A1", "чайник"), ("A1", "чашка"), ("A2", "чайник")]
    assert all(o.startswith("h:") for o, _, _ in got) and len({o for o, _, _ in got}) == 3
    assert q(con, "SELECT line, reason FROM raw.rejected_rows") == [(5, "duplicate_row")]
    ok(con)


def test_orders_with_an_id_column_keep_rejecting_empty_ids(tmp_path, con, cfg):
    # a totals line («Итого») or a broken line has no order id: it is no order
    write(tmp_path, "crm/orders.csv", "order_id,contact_id,order_date,amount\n"
                                       "o1,A1,2024-03-01,100\n,,2024-03-31,100\n")
    rep = ingest_landing(con, tmp_path, cfg)
    assert rep.files[0].derived_ids == 0
    assert q(con, "SELECT order_id FROM raw.crm_orders") == [("o1",)]
    assert q(con, "SELECT line, reason FROM raw.rejected_rows") == [(3, "empty_id")]


def test_a_header_without_enough_content_is_still_missing_id_column(tmp_path, con, cfg):
    write(tmp_path, "phone/calls.csv", "Duration,Manager\n60,Ann\n")
    rep = ingest_landing(con, tmp_path, cfg)
    assert q(con, "SELECT line, reason FROM raw.rejected_rows") == [(2, "missing_id_column")]
    assert "ids are derived from content only when the header maps started_at+phone" in rep.files[0].message


def test_surrogate_ids_can_be_switched_off(tmp_path, con):
    doc = load("sources")  # a fresh copy: changing it leaves the cache alone
    doc["sources"]["phone_calls"]["surrogate_id"] = "none"
    write(tmp_path, "phone/calls.csv", "Call Date,Caller Number\n2024-03-01 10:00,+79161234567\n")
    ingest_landing(con, tmp_path, load_landing_config(doc, mapping_dirs=[]))
    assert q(con, "SELECT reason FROM raw.rejected_rows") == [("missing_id_column",)]
    doc["sources"]["phone_calls"]["surrogate_id"] = "sha1"
    with pytest.raises(ValueError, match="surrogate_id"):
        load_landing_config(doc, mapping_dirs=[])


def test_unpatterned_log_without_id_is_routed_by_its_content_signature(tmp_path, con, cfg):
    write(tmp_path, "phone/pbx_2024-03.csv", "Дата звонка;Номер;Длительность\n01.03.2024 10:00;89161234567;60\n")
    rep = ingest_landing(con, tmp_path, cfg)
    (f,) = rep.files
    assert (f.table, f.routed_by, f.raw_rows, f.derived_ids) == ("phone_calls", "headers", 1, 1)
    ok(con)


def test_shipped_defaults_derive_for_logs_and_orders_not_contacts(cfg):
    modes = {s.table: s.surrogate_id for s in cfg.sources}
    assert modes == {"crm_contacts": "none", "crm_orders": "content_hash", "mail_messages": "content_hash",
                     "phone_calls": "content_hash", "support_tickets": "content_hash",
                     "marketing_events": "content_hash", "actions_log": "content_hash",
                     "chat_messages": "content_hash"}
