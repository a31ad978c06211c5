"""Chats end to end: a small generated sample (its chat/ folder: Telegram export, WhatsApp files,
widget CSV) plus one hand-made chat of a known CRM customer left unanswered, through the whole
daily job. Chat reconciles, chat messages are scored as channel 'chat', the reply-quality factor
reaches the health breakdown and the manager mart has rows."""

from __future__ import annotations

import csv
import re

import duckdb
import pytest

from tests.support.pipeline import failure_messages, run_pipeline

AS_OF = "2026-11-15"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    from sample_data import generate

    root = tmp_path_factory.mktemp("chats")
    landing = root / "landing"
    generate(customers=300, seed=11, out_dir=landing, end_date=AS_OF)
    with open(landing / "crm/contacts.csv", encoding="utf-8") as fh:
        contact = next(r for r in csv.DictReader(fh) if r["manager"] and re.fullmatch(
            r"[a-z][a-z0-9._-]{3,}@(mail|yandex|gmail|bk|list|inbox|rambler)\.(ru|com)", r["email"].strip()))
    # a customer asks twice, nobody answers (and one line of garbage)
    (landing / "chat/support_chat.csv").write_text(
        "chat_id,sent_at,direction,author,phone,username,email,text\n"
        f"hand-1,2026-11-10 10:00,inbound,Клиент,,,{contact['email']},Добрый день! Где мой заказ?\n"
        f"hand-1,2026-11-10 10:05,inbound,Клиент,,,{contact['email']},\"Ответьте, пожалуйста\"\n"
        "hand-1,oops\n", encoding="utf-8")
    out = run_pipeline(root, landing, AS_OF)
    assert out.result.success, failure_messages(out.result)
    con = duckdb.connect(str(out.warehouse), read_only=True)
    yield out, con, contact
    con.close()


def test_chat_reconciles_and_rejects_with_reasons(run):
    _, con, _ = run
    files = con.execute("SELECT path, landed_rows, raw_rows, rejected_rows FROM raw.file_registry "
                        "WHERE path LIKE 'chat/%' ORDER BY path").fetchall()
    assert {f[0] for f in files} >= {"chat/result.json", "chat/chats.csv", "chat/support_chat.csv"}
    assert any(p.endswith(".txt") for p, *_ in files)
    for path, landed, raw_n, rej_n in files:
        got_raw = con.execute("SELECT count(*) FROM raw.chat_messages WHERE _source_file = ?", [path]).fetchone()[0]
        got_rej = con.execute("SELECT count(*) FROM raw.rejected_rows WHERE file = ?", [path]).fetchone()[0]
        assert (landed, raw_n, rej_n) == (got_raw + got_rej, got_raw, got_rej), path
    reasons = dict(con.execute("SELECT split_part(reason, ':', 1), count(*) FROM raw.rejected_rows "
                               "WHERE source = 'chat_messages' GROUP BY 1").fetchall())
    assert reasons.get("system_message", 0) >= 2 and reasons.get("wrong_field_count") == 1
    # every staged chat message either reaches identity or says why not
    n_stg, unmatched, in_identity = con.execute("""
        SELECT count(*), count(*) FILTER (WHERE unmatched_reason IS NOT NULL),
               count(*) FILTER (WHERE message_id IN (SELECT source_record_id FROM core.customer_identity
                                                     WHERE source = 'chat'))
        FROM staging.stg_chat_messages""").fetchone()
    assert n_stg == con.execute("SELECT count(*) FROM raw.chat_messages").fetchone()[0]
    assert unmatched + in_identity == n_stg and in_identity > 0


def test_chats_map_to_the_right_people(run):
    out, con, _ = run
    # against the generator's truth: each chat's messages land on the customer of its person
    truth = con.execute(f"""
        SELECT count(*), count(DISTINCT t.person_id || '|' || i.customer_id)
        FROM read_csv('{out.landing}/truth/record_map.csv', all_varchar = true) t
        JOIN core.customer_identity i ON i.source = 'chat' AND i.source_record_id = t.source_record_id
        WHERE t.source = 'chat'""").fetchone()
    persons = con.execute(f"""SELECT count(DISTINCT person_id) FROM read_csv('{out.landing}/truth/record_map.csv',
        all_varchar = true) WHERE source = 'chat'""").fetchone()[0]
    assert truth[0] > 0
    assert truth[1] == persons      # one customer per chat person (no chat split or glued)
    # and it is the customer of the person's CRM contact (phone, e-mail or the Telegram id column)
    with_crm, total = con.execute(f"""
        WITH rm AS (SELECT * FROM read_csv('{out.landing}/truth/record_map.csv', all_varchar = true)),
             crm AS (SELECT rm.person_id, i.customer_id FROM rm JOIN core.customer_identity i
                     ON i.source = 'crm_contact' AND i.source_record_id = rm.source_record_id
                     WHERE rm.source = 'crm_contact')
        SELECT count(*) FILTER (WHERE EXISTS (SELECT 1 FROM crm WHERE crm.person_id = t.person_id
                                                                 AND crm.customer_id = ci.customer_id)),
               count(*)
        FROM rm t JOIN core.customer_identity ci ON ci.source = 'chat' AND ci.source_record_id = t.source_record_id
        WHERE t.source = 'chat'""").fetchone()
    assert total > 0 and with_crm >= 0.9 * total, (with_crm, total)


def test_chat_messages_are_scored(run):
    _, con, _ = run
    n, outbound, threads = con.execute("""
        SELECT count(*), count(*) FILTER (WHERE direction = 'outbound'), count(DISTINCT thread_id)
        FROM ml.message_signals WHERE channel = 'chat'""").fetchone()
    expected = con.execute("""SELECT count(*) FROM staging.stg_chat_messages WHERE unmatched_reason IS NULL
                              AND cast(sent_at AS date) <= DATE '2026-11-15'""").fetchone()[0]
    assert n == expected > 0 and 0 < outbound < n and threads > 1
    assert con.execute("SELECT count(*) FROM ml.message_signals WHERE channel = 'chat' AND "
                       "is_templated").fetchone()[0] > 0


def test_unanswered_customer_carries_the_factor(run):
    _, con, contact = run
    cid = con.execute("SELECT customer_id FROM core.customer_identity WHERE source = 'crm_contact' "
                      "AND source_record_id = ?", [contact["contact_id"]]).fetchone()[0]
    turn = con.execute("""SELECT inbound_messages, is_unanswered, reply_message_id FROM ml.reply_events
                          WHERE customer_id = ? AND channel = 'chat'""", [cid]).fetchall()
    assert turn == [(2, True, None)]
    factor = con.execute("SELECT points, reason FROM ml.health_factors WHERE customer_id = ? "
                         "AND factor = 'unanswered'", [cid]).fetchone()
    assert factor is not None and factor[0] >= 3 and "без ответа" in factor[1]
    assert con.execute("SELECT health_score FROM ml.health_scores WHERE customer_id = ?", [cid]).fetchone()[0] < 100


def test_manager_reply_mart(run):
    _, con, _ = run
    rows = con.execute("SELECT * FROM marts.mart_manager_reply_quality").df()
    assert len(rows) > 0
    assert (rows["replied_turns"] + rows["unanswered_turns"] + rows["pending_turns"] >= rows["unanswered_turns"]).all()
    assert rows["unanswered_share"].dropna().between(0, 1).all()
    assert rows["templated_share"].dropna().between(0, 1).all()
    assert rows["customers_affected"].sum() >= 1
    # the mart's totals are the ml tables' totals for the window
    turns = con.execute("SELECT count(*) FROM ml.reply_events WHERE in_window").fetchone()[0]
    assert rows["inbound_turns"].sum() == turns
    assert rows["median_first_reply_minutes"].dropna().gt(0).all()
