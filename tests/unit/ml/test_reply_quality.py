"""Reply quality on hand-made threads: exact first-reply minutes, unanswered vs pending, templated
share (near-duplicates found without comparing all pairs), business hours, and the health factor."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from ml.health import health_scores, load_health_config
from ml.signals.trends import reply_quality, template_text, templated_flags

AS_OF = dt.date(2024, 3, 6)
TEMPLATE = "Здравствуйте! Ваш заказ №{n} передан в службу доставки, курьер позвонит вам заранее, {name}."


def _msgs(rows):
    cols = ["message_id", "customer_id", "channel", "sent_at", "direction", "text", "thread_id", "tone"]
    df = pd.DataFrame(rows, columns=cols)
    df["sent_at"] = pd.to_datetime(df["sent_at"])
    return df


def _thread():
    return _msgs([
        ("c1", "C1", "chat", "2024-03-01 10:00", "inbound", "Где мой заказ?", "chat:1", -0.2),
        ("c2", "C1", "chat", "2024-03-01 10:05", "inbound", "Алло?", "chat:1", 0.0),
        ("c3", "C1", "chat", "2024-03-01 10:45", "outbound", TEMPLATE.format(n=1, name="Иван"), "chat:1", 0.4),
        ("c4", "C1", "chat", "2024-03-01 12:00", "inbound", "А когда доставка?", "chat:1", 0.0),
        ("c5", "C1", "chat", "2024-03-04 09:00", "outbound", "Иван, доставка завтра с 10 до 14, извините за паузу.",
         "chat:1", 0.1),
        ("c6", "C1", "chat", "2024-03-05 18:00", "inbound", "Курьер не пришёл", "chat:1", -0.6),
        # another customer's chat and mail: the same template, and a letter nobody answered
        ("d1", "C2", "chat", "2024-03-02 09:00", "inbound", "Статус заказа?", "chat:2", 0.0),
        ("d2", "C2", "chat", "2024-03-02 09:30", "outbound", TEMPLATE.format(n=77, name="Пётр"), "chat:2", 0.4),
        ("m1", "C2", "mail", "2024-02-20 08:00", "inbound", "Прошу выставить счёт", None, 0.0),
        ("e1", "C3", "mail", "2024-03-03 08:00", "inbound", "Когда привезут?", None, 0.0),
        ("e2", "C3", "call", "2024-03-03 08:20", "outbound", None, None, 0.0),   # a call answers a letter
        ("e3", "C3", "mail", "2024-03-03 09:00", "outbound", TEMPLATE.format(n=5, name="Анна"), None, 0.2),
        ("x1", "C3", "ticket", "2024-03-01 08:00", "inbound", "Тикет", "ticket:1", 0.0),  # tickets: own SLA
    ])


@pytest.fixture(scope="module")
def cfg():
    return load_health_config()


@pytest.fixture(scope="module")
def result(cfg):
    return reply_quality(_thread(), AS_OF, cfg)


def test_first_reply_minutes_per_turn(result):
    events, _ = result
    c1 = events[events["customer_id"] == "C1"].set_index("inbound_message_id")
    assert list(c1.index) == ["c1", "c4", "c6"]             # c2 joins c1's turn: one reply answers both
    assert c1.loc["c1", "inbound_messages"] == 2
    assert c1.loc["c1", "first_reply_minutes"] == 45.0
    assert c1.loc["c4", "first_reply_minutes"] == 69 * 60.0
    assert c1.loc["c1", "reply_message_id"] == "c3" and bool(c1.loc["c1", "reply_templated"])
    assert bool(c1.loc["c4", "is_unanswered"]) and not bool(c1.loc["c1", "is_unanswered"])   # 69 h > 48 h
    assert bool(c1.loc["c6", "is_pending"]) and not bool(c1.loc["c6", "is_unanswered"])      # 30 h so far
    c3 = events[events["customer_id"] == "C3"].set_index("inbound_message_id")
    assert list(c3.index) == ["e1"]                         # the ticket expects no reply here
    assert c3.loc["e1", "reply_channel"] == "call" and c3.loc["e1", "first_reply_minutes"] == 20.0
    m1 = events[events["inbound_message_id"] == "m1"].iloc[0]
    assert bool(m1["is_unanswered"]) and pd.isna(m1["reply_at"])


def test_templated_share_and_tone_per_customer(result):
    _, per = result
    per = per.set_index("customer_id")
    # C1: one of two replies is the template (sent 3 times in all, with other names and numbers)
    assert per.loc["C1", "outbound_messages"] == 2 and per.loc["C1", "templated_outbound"] == 1
    assert per.loc["C1", "templated_share"] == 0.5
    assert per.loc["C1", "mean_outbound_tone"] == pytest.approx(0.25)
    assert per.loc["C1", "unanswered_turns"] == 1 and per.loc["C1", "pending_turns"] == 1
    assert per.loc["C1", "median_first_reply_minutes"] == pytest.approx((45 + 69 * 60) / 2)
    assert per.loc["C2", "templated_share"] == 1.0 and per.loc["C2", "unanswered_turns"] == 1
    # the call carries no text: it answers but is no template
    assert per.loc["C3", "outbound_messages"] == 2 and per.loc["C3", "templated_outbound"] == 1


def test_near_duplicates_without_all_pairs(cfg):
    rep = cfg["replies"]
    texts = pd.Series([TEMPLATE.format(n=i, name=name) for i, name in enumerate(["Иван", "Пётр", "Анна"])]
                      + ["Спасибо!"] * 5 + ["Совсем другой ответ по существу вашего вопроса про оплату"])
    flags = templated_flags(texts, rep)
    assert flags.tolist() == [True, True, True] + [False] * 5 + [False]   # short thanks are no template
    assert template_text("Заказ №123 готов!\n-- \nАнна\n8-800") == "заказ готов"
    exact_only = {**rep, "minhash": {**rep["minhash"], "enabled": False}}
    # without MinHash only exact normalised repeats count: three different names, no template
    assert not templated_flags(texts[:3], exact_only).any()


def test_business_hours(cfg):
    bh = {**cfg["replies"], "business_hours": {"enabled": True, "start_hour": 9, "end_hour": 18,
                                                "weekdays": [1, 2, 3, 4, 5]}}
    df = _msgs([("a", "C9", "mail", "2024-03-01 17:00", "inbound", "вопрос", None, 0.0),     # a Friday
                ("b", "C9", "mail", "2024-03-04 10:00", "outbound", "ответ", None, 0.0)])   # Monday
    events, _ = reply_quality(df, AS_OF, {"replies": bh})
    assert events["first_reply_minutes"].tolist() == [120.0]
    events, _ = reply_quality(df, AS_OF, cfg)
    assert events["first_reply_minutes"].tolist() == [(2 * 24 + 17) * 60.0]


def test_health_factor_from_replies(result, cfg):
    _, per = result
    scores, factors = health_scores(None, None, AS_OF, cfg, replies=per)
    f = factors.set_index(["customer_id", "factor"])
    assert f.loc[("C1", "unanswered"), "points"] == 3.0
    assert f.loc[("C1", "templated_replies"), "points"] == 2.0
    assert f.loc[("C2", "unanswered"), "points"] == 3.0
    assert "без ответа дольше 48 ч" in f.loc[("C1", "unanswered"), "reason"]
    assert ("C3", "unanswered") not in f.index
    c1 = scores.set_index("customer_id").loc["C1"]
    assert c1["risk_points"] == 5.0 and c1["health_score"] == round(100 * (1 - 5 / 30), 1)
    assert np.isnan(scores.set_index("customer_id").loc["C1", "health_delta"])
