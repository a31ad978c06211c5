"""customer_trends and ticket_patterns on hand-made histories."""
import json

import numpy as np
import pandas as pd
import pytest

from ml.signals import customer_trends, score_messages, ticket_patterns

AS_OF = "2025-06-30"


def msgs(rows):
    df = pd.DataFrame(rows, columns=["customer_id", "sent_at", "direction", "text"])
    df.insert(0, "message_id", range(len(df)))
    df.insert(2, "channel", "mail")
    df["sent_at"] = pd.to_datetime(df["sent_at"])
    return score_messages(df)


@pytest.fixture(scope="module")
def signals():
    return msgs([
        # A: friendly and informal in May, formal and cold in June, asks for an export, mentions Bitrix24
        ("A", "2025-05-05", "inbound", "Привет! Всё отлично, спасибо :)"),
        ("A", "2025-05-20", "inbound", "Привет, ребята! Супер, всё работает)))"),
        ("A", "2025-06-10", "inbound", "Коллеги, добрый день. Прошу выгрузить все наши данные в Excel."),
        ("A", "2025-06-25", "inbound", "Здравствуйте. Отчёт опять не работает, очень недоволен. В Битрикс24 это есть. С уважением, А."),
        ("A", "2025-06-29", "outbound", "Ужасно жаль, отвратительная ошибка с нашей стороны"),   # outbound: ignored
        ("A", "2025-07-05", "inbound", "Это последний раз!"),                                     # after as_of: ignored
        # B: active in March, silent since
        ("B", "2025-03-01", "inbound", "Добрый день, вопрос по отчёту"),
        ("B", "2025-03-10", None, "Спасибо, всё понятно"),                                          # None = inbound
        # C: a single contact long ago (never "active"): no silence flags
        ("C", "2025-01-10", "inbound", "Здравствуйте"),
        (None, "2025-06-01", "inbound", "без клиента"),
    ])


def test_trends_windows_tone_delta_formalisation(signals):
    t = customer_trends(signals, AS_OF, {}).set_index("customer_id")
    assert list(t.index) == ["A", "B", "C"]
    a = t.loc["A"]
    assert a["n_inbound_recent"] == 2 and a["n_inbound_previous"] == 2 and a["n_inbound_total"] == 4
    sig_a = signals[(signals.customer_id == "A") & (signals.direction == "inbound")]
    june = sig_a[sig_a.sent_at.between("2025-06-01", "2025-06-30")]
    may = sig_a[sig_a.sent_at.between("2025-05-01", "2025-05-31")]
    assert a["tone_recent"] == pytest.approx(june.tone.mean())
    assert a["tone_previous"] == pytest.approx(may.tone.mean())
    assert a["tone_delta"] == pytest.approx(june.tone.mean() - may.tone.mean())
    assert a["tone_previous"] > 0.3 and a["tone_delta"] < -0.5
    assert a["formalisation"] and a["formal_share_previous"] == 0 and a["formal_share_recent"] == 1
    assert a["data_export_recent"] == 1 and a["competitor_recent"] == 1 and a["ultimatum_recent"] == 0
    assert a["competitor_names_recent"] == "Битрикс24"
    assert "data_export" in json.loads(a["evidence_recent"])
    assert a["silence_days"] == 5 and not a["silent_30"]
    assert a["last_inbound_at"] == pd.Timestamp("2025-06-25")


def test_silence_flags(signals):
    t = customer_trends(signals, AS_OF, {}).set_index("customer_id")
    b = t.loc["B"]
    assert b["silence_days"] == (pd.Timestamp(AS_OF) - pd.Timestamp("2025-03-10")).days == 112
    assert b["silent_30"] and b["silent_90"]
    assert np.isnan(b["tone_recent"]) and np.isnan(b["tone_delta"])
    c = t.loc["C"]
    assert c["silence_days"] > 90 and not c["silent_30"] and not c["silent_90"]   # never active


def test_only_data_up_to_as_of(signals):
    t = customer_trends(signals, "2025-05-31", {}).set_index("customer_id")
    assert t.loc["A", "n_inbound_total"] == 2 and t.loc["A", "formalisation"] == False
    assert "B" in t.index and t.loc["B", "silence_days"] == 82 and not t.loc["B", "silent_90"]


def test_window_days_config(signals):
    t = customer_trends(signals, AS_OF, {"trends": {"window_days": 10}}).set_index("customer_id")
    # recent = Jun 21..30 (the 25th), previous = Jun 11..20 (nothing: the 10th is outside)
    assert t.loc["A", "n_inbound_recent"] == 1 and t.loc["A", "n_inbound_previous"] == 0


def test_ticket_patterns():
    tickets = pd.DataFrame({
        "customer_id": ["A"] * 5 + ["B"] * 2 + ["C"],
        "created_at": ["2025-06-01 10:00", "2025-06-05", "2025-06-10", "2025-05-01", "2025-01-01",
                       "2025-06-20", "2025-06-21", "2025-07-02"],
        "closed_at": ["2025-06-01 20:00", "2025-06-07", None, "2025-05-03", "2025-01-02",
                      "2025-06-20 02:00", "2025-07-05", None],
        "category": ["Биллинг", "billing", "bug", "Тарифы", "bug", "bug", "Оплата", "bug"],
        "reopen_count": [1, 2, 0, 0, 5, 0, 1, 0],
    })
    tp = ticket_patterns(tickets, AS_OF, {}).set_index("customer_id")
    assert list(tp.index) == ["A", "B"]                                   # C's only ticket is after as_of
    a = tp.loc["A"]
    assert a["tickets_window"] == 4 and a["tickets_recent"] == 3         # Jan ticket outside the 90 days
    assert a["reopen_rate"] == pytest.approx(0.5) and a["reopen_flag"]
    assert a["billing_price_share"] == pytest.approx(0.75)
    assert a["median_resolution_hours"] == pytest.approx(48.0)           # closed: 10 h, 48 h, 48 h
    b = tp.loc["B"]
    assert b["reopen_rate"] == pytest.approx(0.5) and not b["reopen_flag"]   # < min_tickets_for_rate
    assert b["open_tickets"] == 1                                         # closed after as_of = still open
