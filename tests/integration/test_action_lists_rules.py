"""The action lists (dbt/models/marts/lists) on hand-made customers and a hand-made actions log.

Built on tests/support/marts.handmade_fixture (as of 2026-06-30; its customers' lifecycle states are
worked out in tests/integration/test_marts.py) plus a few customers and log rows added here. Expected values
are written next to each row: chain advance and the due date, the suppression list after a goodbye
letter without a click, the goodbye answered (back to the chain), every recent cart abandoner on the
hot-trigger list whatever their state, answered triggers leaving it, and log rows that are rejected.
"""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from tests.support.marts import AS_OF, handmade_fixture, run_dbt


def _fixture():
    f = handmade_fixture()
    # --- the reactivation chain
    # C02 sleeping since 2026-06-24 (last purchase 85 days ago): sleep_5 went out 100 days ago, before
    # the last purchase (another episode: ignored); sleep_1 5 days ago, found by e-mail -> step 2 is due
    # 3 days after it (day_offset 4 - 1), i.e. 2 days ago. sleep_3 dated in the future is ignored.
    f.action("C02", 100, "sleep_5")
    f.action(None, 5, "sleep_1", email="boris@example.ru")
    f.action("C02", -2, "sleep_3")
    # C10 sleeping: sleep_1 10 days ago, sleep_2 1 day ago -> step 3 due in 2 days: not on the list today
    f.action("C10", 10, "sleep_1", response="opened", responded_days_ago=9)
    f.action("C10", 1, "sleep_2")
    # --- the near-death chain: C04 got near_death_1 5 days ago (by CRM contact id) -> step 2 (call)
    # due 2 days after it, 3 days ago
    f.action(None, 5, "near_death_1", contact_id="crm-C04")
    # --- goodbye letters: C05 dead, letter 10 days ago, no click within 7 days -> suppression list
    f.action("C05", 10, "goodbye")
    # C14 dead, letter 3 days ago, no click yet -> waiting: on no list
    f.customer("C14", "Нина Зайцева", email="nina@example.ru", first_seen_days_ago=1200)
    for d in (1000, 1100):
        f.order("C14", d, 1500, "D")
    f.action("C14", 3, "goodbye")
    # C15 dead, letter 20 days ago, clicked 18 days ago -> back to the reactivation chain, step 1
    f.customer("C15", "Олег Белов", email="oleg@example.ru", first_seen_days_ago=1200)
    for d in (950, 1000):
        f.order("C15", d, 1500, "D")
    f.action("C15", 20, "goodbye", response="clicked", responded_days_ago=18)
    # C16 dead, no letter yet -> goodbye list
    f.customer("C16", "Полина Титова", phone="+79120000016", first_seen_days_ago=1300)
    for d in (1000, 1050):
        f.order("C16", d, 1500, "D")
    # --- hot triggers: every recent cart abandoner, whatever the state
    # C06 active (bought 5 days ago), abandoned a cart 2 days ago -> on the list
    f.event("C06", 2, "cart_abandon")
    # C13 never bought, abandoned a cart 1 day ago -> on the list
    f.customer("C13", "Роман Фёдоров", email="roman@example.ru", first_seen_days_ago=30)
    f.event("C13", 1, "cart_abandon")
    # C01 active: a cart abandoned 3 days ago was answered (a cart_abandon call logged 2 days ago);
    # the three e-mails after the last purchase (10 days ago) were all opened -> opened_in_row
    f.event("C01", 3, "cart_abandon")
    f.action("C01", 2, "cart_abandon", channel="phone")
    for d in (8, 6, 4):
        f.action("C01", d, "should_have_bought", response="opened", responded_days_ago=d)
    # C12 (no purchase: a cancelled order) opened 3 e-mails within 30 days -> opened_in_row
    for d in (25, 15, 5):
        f.event("C12", d, "email_open")
    # --- rows the lists cannot use
    f.action("CUST-999999", 4, "sleep_1")  # unknown customer
    f.action("C02", 4, "send_flowers")  # unknown action
    f.action("C02", 4, "sleep_2", response="maybe")  # unknown response
    return f


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = _fixture().write(tmp_path_factory.mktemp("lists") / "warehouse.duckdb")
    run_dbt(path, AS_OF)
    return path


def q(db, sql: str) -> pd.DataFrame:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).df()
    finally:
        con.close()


def rows(db, table: str) -> dict[str, object]:
    return {r.customer_id: r for r in q(db, f"select * from marts.{table} order by customer_id").itertuples()}


def test_reactivation_chain_advances_from_the_log(db):
    got = rows(db, "mart_list_reactivation")
    assert set(got) == {"C02", "C15"}  # C10's step 3 is not due yet
    assert (got["C02"].step, got["C02"].step_code, str(got["C02"].due_date.date())) == (2, "sleep_2", "2026-06-28")
    assert "предыдущий шаг 1 отправлен 25.06.2026" in got["C02"].reason
    assert (got["C15"].step, got["C15"].step_code, str(got["C15"].due_date.date())) == (1, "sleep_1", "2026-06-30")
    assert "прощальное письмо" in got["C15"].reason.lower()
    assert (got["C02"].channel, got["C02"].contact) == ("phone", "+79120000002")  # unsubscribed from e-mail


def test_near_death_chain(db):
    got = rows(db, "mart_list_near_death")
    assert (got["C04"].step, got["C04"].step_code, str(got["C04"].due_date.date())) == (2, "near_death_2", "2026-06-27")
    assert "Звонок менеджера" in got["C04"].action_ru
    assert got["C09"].step == 1 and "шагов ещё не отправляли" in got["C09"].reason  # no log: step 1


def test_goodbye_without_click_suppresses(db):
    suppressed = rows(db, "mart_suppression_list")
    assert set(suppressed) == {"C05"}
    assert str(suppressed["C05"].goodbye_sent_date.date()) == "2026-06-20"
    everywhere = q(db, "select list_name, customer_id from marts.mart_action_list")
    assert "C05" not in set(everywhere.customer_id)  # out of every other list
    assert "C14" not in set(everywhere.customer_id)  # letter sent 3 days ago: waiting for the click
    assert set(rows(db, "mart_list_goodbye")) == {"C16"}


def test_every_recent_cart_abandoner_gets_a_trigger(db):
    got = rows(db, "mart_list_hot_triggers")
    for cid in ("C03", "C06", "C13"):  # hot-inactive, active, never bought
        assert got[cid].step_code == "cart_abandon", cid
        assert "Бросил корзину" in got[cid].reason
    assert got["C01"].step_code == "opened_in_row"  # its cart was answered; the opened letters are not
    assert got["C12"].step_code == "opened_in_row"
    recent = q(db, """select distinct customer_id from intermediate.int_customer_interactions
                      where interaction_type = 'cart_abandon' and occurred_date > date '2026-06-30' - 30""")
    answered = {"C01"}
    assert set(recent.customer_id) - answered <= {c for c, r in got.items() if r.step_code == "cart_abandon"}


def test_toxic_review_needs_evidence(db):
    got = rows(db, "mart_list_toxic_review")
    assert "C07" in got  # 4 complaints + a return in the window, 400 days with us
    assert "C11" not in got  # 2 complaints within 60 days of tenure: too early to judge
    assert got["C07"].action_ru.startswith("Разбор менеджером")


def test_actions_log_resolution_and_rejects(db):
    log = q(db, "select * from marts.mart_actions_log order by action_id")
    by_action = {(r.action, r.customer_id): r for r in log.itertuples()}
    assert by_action[("sleep_1", "C02")].matched_by == "email"
    assert by_action[("near_death_1", "C04")].matched_by == "contact_id"
    assert "sleep_3" not in set(log.action)  # sent after the as-of date
    reasons = log.groupby("reject_reason").size().to_dict()
    assert reasons == {"unknown_customer": 1, "unknown_action": 1, "unknown_response": 1}


def test_action_list_is_the_union_with_one_primary_list(db):
    union = q(db, "select * from marts.mart_action_list")
    parts = sum(len(q(db, f"select * from marts.{t}")) for t in (
        "mart_list_should_have_bought", "mart_list_reactivation", "mart_list_near_death", "mart_list_goodbye",
        "mart_list_hot_triggers", "mart_list_toxic_review"))
    assert len(union) == parts
    assert union.groupby("customer_id").is_primary.sum().eq(1).all()
    assert union.manager.notna().all() and union.reason.notna().all()
