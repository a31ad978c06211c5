"""End to end: the action lists on a generated sample, first without an actions log (the landing
contract as before), then with one landed in actions/ — the chains advance, a goodbye letter
without a click moves the customer to the suppression list and off every other list, a clicked one
back to the reactivation chain, and rows the log cannot use are rejected with their reason.

The log is written from the first run's own lists (what a user does: send today's list, record
it), dated a few days before the as-of date, and the pipeline is run again on the same date.
"""

from __future__ import annotations

import csv
import datetime as dt

import pytest

from tests.support.pipeline import SAMPLE_AS_OF, failure_messages, run_pipeline
from tests.support.warehouse import query_df

LISTS = ("mart_list_should_have_bought", "mart_list_reactivation", "mart_list_near_death", "mart_list_goodbye",
         "mart_list_hot_triggers", "mart_list_toxic_review")


def _lists(warehouse):
    return query_df(warehouse, "SELECT list_name, customer_id, step, step_code, channel, contact, manager "
                               "FROM marts.mart_action_list")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    from sample_data import generate

    root = tmp_path_factory.mktemp("lists_e2e")
    landing = root / "landing"
    generate(customers=300, seed=11, out_dir=landing, end_date=SAMPLE_AS_OF)
    first = run_pipeline(root / "first", landing, SAMPLE_AS_OF)
    assert first.result.success, failure_messages(first.result)
    before = _lists(first.warehouse)
    raw_empty = query_df(first.warehouse, "SELECT count(*) AS n FROM raw.actions_log")["n"][0]

    as_of = dt.date.fromisoformat(SAMPLE_AS_OF)
    day = lambda n: (as_of - dt.timedelta(days=n)).isoformat() + " 10:00"  # noqa: E731
    sleepers = sorted(before.loc[before.list_name == "reactivation", "customer_id"])
    dead = sorted(before.loc[before.list_name == "goodbye", "customer_id"])
    assert len(sleepers) >= 4 and len(dead) >= 3, (len(sleepers), len(dead))
    emails = query_df(first.warehouse, "SELECT customer_id, email FROM core.customers WHERE email IS NOT NULL")
    email_of = dict(zip(emails.customer_id, emails.email))
    rows = []
    # sleepers: step 1 sent 5 days ago (step 2 due 3 days later: due now); the first one by e-mail only
    for i, cid in enumerate(sleepers[:4]):
        by_email = i == 0 and cid in email_of
        rows.append({"customer_id": "" if by_email else cid, "email": email_of[cid] if by_email else "",
                     "action": "sleep_1", "sent_at": day(5), "channel": "email", "response": "opened",
                     "responded_at": day(4)})
    # dead: goodbye 10 days ago without a click (suppressed) ... and one clicked (back to the chain)
    for cid in dead[:2]:
        rows.append({"customer_id": cid, "email": "", "action": "goodbye", "sent_at": day(10), "channel": "email",
                     "response": "", "responded_at": ""})
    rows.append({"customer_id": dead[2], "email": "", "action": "goodbye", "sent_at": day(10), "channel": "email",
                 "response": "clicked", "responded_at": day(9)})
    # unusable rows
    rows.append({"customer_id": "CUST-999999", "email": "", "action": "sleep_1", "sent_at": day(3), "channel": "email",
                 "response": "", "responded_at": ""})
    rows.append({"customer_id": sleepers[0], "email": "", "action": "send_flowers", "sent_at": day(3),
                 "channel": "email", "response": "", "responded_at": ""})
    (landing / "actions").mkdir()
    with open(landing / "actions" / "actions_log_2026.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    second = run_pipeline(root / "second", landing, SAMPLE_AS_OF)
    assert second.result.success, failure_messages(second.result)
    return dict(first=first, second=second, before=before, after=_lists(second.warehouse), raw_empty=raw_empty,
                sleepers=sleepers[:4], suppressed=dead[:2], clicked=dead[2], n_rows=len(rows))


def test_without_an_actions_log_every_chain_starts_at_step_1(runs):
    assert runs["raw_empty"] == 0
    before = runs["before"]
    chains = before[before.list_name.isin(["reactivation", "near_death"])]
    assert len(chains) > 0 and set(chains.step) == {1}
    assert set(before.list_name) >= {"reactivation", "goodbye", "hot_trigger", "near_death"}
    assert before.channel.isin(["email", "phone", "none"]).all()
    for table in LISTS:  # every list mart is built and is part of the union
        n = query_df(runs["first"].warehouse, f"SELECT count(*) AS n FROM marts.{table}")["n"][0]
        assert n == (before.list_name == table.removeprefix("mart_list_").replace("hot_triggers", "hot_trigger")).sum()


def test_the_log_is_ingested_like_any_source(runs):
    wh = runs["second"].warehouse
    assert query_df(wh, "SELECT count(*) AS n FROM raw.actions_log")["n"][0] == runs["n_rows"]
    registry = query_df(wh, "SELECT path, routed_by, derived_ids FROM raw.file_registry WHERE \"table\" = 'actions_log'")
    assert list(registry.path) == ["actions/actions_log_2026.csv"] and registry.derived_ids[0] == runs["n_rows"]
    log = query_df(wh, "SELECT customer_id, matched_by, reject_reason FROM marts.mart_actions_log")
    assert log.reject_reason.value_counts().to_dict() == {"unknown_customer": 1, "unknown_action": 1}
    assert "email" in set(log.matched_by)


def test_the_chain_advances(runs):
    after = runs["after"].set_index(["list_name", "customer_id"])
    for cid in runs["sleepers"]:
        row = after.loc[("reactivation", cid)]
        assert (row.step, row.step_code) == (2, "sleep_2"), cid


def test_goodbye_without_click_suppresses_everywhere(runs):
    wh = runs["second"].warehouse
    suppressed = set(query_df(wh, "SELECT customer_id FROM marts.mart_suppression_list").customer_id)
    assert suppressed == set(runs["suppressed"])
    after = runs["after"]
    assert not set(after.customer_id) & suppressed
    for table in LISTS:
        ids = set(query_df(wh, f"SELECT customer_id FROM marts.{table}").customer_id)
        assert not ids & suppressed, table
    clicked = after[after.customer_id == runs["clicked"]]
    assert list(clicked.list_name) == ["reactivation"] and list(clicked.step) == [1]


def test_lists_published_with_descriptions(runs):
    serving = runs["second"].serving
    tables = query_df(serving, "SELECT table_name, comment FROM duckdb_tables() WHERE schema_name = 'marts' "
                               "AND (table_name LIKE 'mart_list_%' OR table_name IN ('mart_suppression_list', "
                               "'mart_actions_log', 'mart_action_list'))")
    assert len(tables) == len(LISTS) + 4  # + context, actions log, suppression, union
    assert tables.comment.notna().all()


def test_lists_carry_the_verdict_value_manager_and_reasons(runs):
    """Every list shows the customer's verdict: its risk stage, value and reasons, and the manager."""
    wh = runs["first"].warehouse
    mismatched = query_df(wh, """
        SELECT count(*) AS n FROM marts.mart_list_context c JOIN marts.customer_verdict v USING (customer_id)
        WHERE c.risk_stage IS DISTINCT FROM v.risk_stage OR c.expected_value IS DISTINCT FROM v.expected_value
           OR c.reasons_text IS DISTINCT FROM nullif(v.reasons_text, '')""")["n"][0]
    assert mismatched == 0
    valued = query_df(wh, """
        SELECT count(*) FILTER (WHERE c.expected_value IS NOT NULL) AS valued, count(*) AS n
        FROM marts.mart_action_list a JOIN marts.mart_list_context c USING (customer_id)
        WHERE c.lifecycle_state <> 'no_purchases'""")
    assert valued["n"][0] > 0 and valued["valued"][0] == valued["n"][0]
