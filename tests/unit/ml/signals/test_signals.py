"""Per-message signals: every marker, tone with negation/intensifiers, register, language, API shape."""
import json
import re

import pandas as pd
import pytest

from clientpulse_config import load
from ml.signals import SignalEngine, normalize, score_messages
from ml.signals.evaluation import load_eval
from ml.signals.gated import required_literals
from ml.signals.messages import score_texts


@pytest.fixture(scope="module")
def eng():
    return SignalEngine()


def markers(eng, text):
    return eng.markers(normalize(text))


@pytest.mark.parametrize("marker,text,phrase", [
    ("passive_aggressive", "Я уже объяснял вашему коллеге, что отчёт не строится.", "я уже объяснял"),
    ("passive_aggressive", "Надеюсь, в этот раз получится.", "надеюсь, в этот раз"),
    ("passive_aggressive", "Сколько можно ждать ответа?", "сколько можно"),
    ("passive_aggressive", "As I already said, the sync is broken.", "as i already said"),
    ("passive_aggressive", "For the third time: the invoice is addressed wrongly.", "for the third time"),
    ("ultimatum", "Это последний раз, когда мы продлеваем договор.", "это последний раз"),
    ("ultimatum", "В последний раз прошу исправить реквизиты.", "в последний раз прошу"),
    ("ultimatum", "Будем вынуждены расторгнуть договор.", "будем вынуждены расторгнуть"),
    ("ultimatum", "This is the last time we accept a delay.", "this is the last time"),
    ("data_export", "Выгрузите все наши данные, пожалуйста.", "выгрузите все наши данные"),
    ("data_export", "Как выгрузить базу в Excel?", "выгрузить базу"),
    ("data_export", "Нужно перенести данные в другую систему.", "перенести данные"),
    ("data_export", "Please export all our data.", "export all our data"),
    ("price_complaint", "Для нас это дорого.", "дорого"),
    ("price_complaint", "Your plan is too expensive.", "too expensive"),
    ("billing_complaint", "Вы выставили неверный счёт.", "неверный счет"),
    ("billing_complaint", "У нас списали дважды за май.", "списали дважды"),
    ("billing_complaint", "You overcharged us.", "overcharged"),
    ("refund_request", "Верните деньги за март.", "верните деньги"),
    ("refund_request", "I want a refund.", "refund"),
])
def test_each_marker_with_evidence(eng, marker, text, phrase):
    found = markers(eng, text)
    assert marker in found, found
    assert phrase in found[marker]


@pytest.mark.parametrize("text,name", [
    ("Переходим на Битрикс24", "Битрикс24"), ("у нас amoCRM", "amoCRM"), ("в Мегаплане удобнее", "Мегаплан"),
    ("RetailCRM", "RetailCRM"), ("HubSpot does it", "HubSpot"), ("Salesforce has it", "Salesforce"),
    ("bitrix 24", "Битрикс24"),
])
def test_competitor_names(eng, text, name):
    row = score_messages(pd.DataFrame({"message_id": [1], "customer_id": ["c"], "channel": ["mail"],
                                       "sent_at": ["2025-01-01"], "direction": ["inbound"], "text": [text]}))
    assert bool(row["mentions_competitor"].iloc[0])
    assert name in row["competitor_names"].iloc[0].split(";")


@pytest.mark.parametrize("text,marker", [
    ("Я не хочу выгружать данные, просто вопрос.", "data_export"),
    ("We don't need a data export.", "data_export"),
    ("The price is fine.", "price_complaint"),
    ("Недорого и понятно.", "price_complaint"),
    ("Не дорого, нам подходит.", "price_complaint"),
    ("В последний раз, когда я звонил, всё работало.", "ultimatum"),
    ("We don't want a refund, just a fix.", "refund_request"),
])
def test_hard_negatives(eng, text, marker):
    assert marker not in markers(eng, text)


def test_negated_export_still_counts_when_unable(eng):
    assert "data_export" in markers(eng, "Не могу выгрузить базу клиентов, помогите")


def test_tone_negation_and_intensifiers(eng):
    t = lambda s: eng.score_text(s)[1]
    assert t("Не очень доволен работой поддержки") < -0.05
    assert eng.score_text("Не очень доволен работой поддержки")[2] == "negative"
    assert t("Не доволен") < t("Не очень доволен") < 0          # «не очень» softens
    assert 0 < t("Не плохо")                                     # mildly positive
    assert t("Не плохо") < t("Хорошо")
    assert t("Очень плохо") < t("Плохо") < 0                     # intensifier
    assert t("Крайне недоволен") < t("Недоволен")
    assert t("Совсем не удобно") < 0
    assert t("Проблем нет, всё отлично") > 0.3                   # post-negation «проблем нет»
    assert t("Без проблем, спасибо") > 0
    assert t("Спасибо большое, всё заработало!") > 0.3
    assert t("Не работает, очень плохо") < -0.3                  # negation does not leak past a comma
    assert -1 <= t("Ужасно ужасно ужасно отвратительно кошмар!!!") <= -0.9


def test_english_tone_is_vader_with_domain_overrides(eng):
    assert eng.score_text("Great support, thank you so much!")[2] == "positive"
    assert eng.score_text("I'm not very happy with this.")[2] == "negative"
    assert eng.score_text("Could you please send the slides?")[2] == "neutral"   # "please" is not praise


def test_marker_penalty_lowers_tone(eng):
    plain = eng.score_text("Коллеги, это последний раз")[1]
    assert plain < 0


@pytest.mark.parametrize("text,register", [
    ("Привет! Есть вопрос :)", "informal"), ("Коллеги, прошу уточнить сроки.", "formal"),
    ("Здравствуйте. С уважением, Анна", "formal"), ("Слушай, ты можешь глянуть?", "informal"),
    ("ок, спс)))", "informal"), ("Dear support, kind regards", "formal"), ("Отчёт готов.", "neutral"),
])
def test_register(eng, text, register):
    assert eng.score_text(text)[3] == register


@pytest.mark.parametrize("text,lang", [
    ("Здравствуйте, где счёт?", "ru"), ("Hi, where is the invoice?", "en"),
    ("Guten Tag, können Sie mir bitte die Rechnung schicken?", "other"),
    ("Добрий день, підкажіть, будь ласка", "other"), ("12345", "other"), ("", "other"),
])
def test_language(eng, text, lang):
    assert eng.language(text) == lang


def test_score_messages_shape_and_evidence():
    frame = pd.DataFrame({
        "message_id": [1, 2, 3, 4], "customer_id": ["a", None, "b", "b"],
        "channel": ["mail", "ticket", "call", "mail"],
        "sent_at": pd.to_datetime(["2025-01-01", "2025-01-02", "2025-01-03", "2025-01-04"]),
        "direction": ["inbound", None, "inbound", "outbound"],
        "text": ["Выгрузите все наши данные в Excel, уходим на amoCRM", None, "As I already said: refund!", ""],
    })
    out = score_messages(frame)
    assert list(out.columns) == [
        "message_id", "customer_id", "channel", "sent_at", "direction", "language", "tone", "tone_label",
        "register", "is_passive_aggressive", "is_ultimatum", "mentions_competitor", "competitor_names",
        "asks_data_export", "price_complaint", "billing_complaint", "refund_request", "is_sarcastic",
        "competitor_new_names", "evidence"]
    assert len(out) == 4 and out["message_id"].tolist() == [1, 2, 3, 4]
    ev = json.loads(out["evidence"].iloc[0])
    assert ev["data_export"] == ["выгрузите все наши данные"] and "amocrm" in ev["competitor"]
    assert out["competitor_names"].iloc[0] == "amoCRM"
    assert out["evidence"].iloc[1] == "{}" and out["tone"].iloc[1] == 0.0
    assert out["is_passive_aggressive"].iloc[2] and out["refund_request"].iloc[2]
    assert out["tone"].between(-1, 1).all()
    assert set(out["tone_label"]) <= {"negative", "neutral", "positive"}


def test_config_extends_competitors_and_markers():
    cfg = {"competitors": {"Acme CRM": ["acme\\s*crm"]}, "markers_extra": {"refund_request": ["\\bденьги назад\\b"]}}
    eng = SignalEngine(cfg)
    assert "competitor" in eng.markers(normalize("У Acme CRM лучше"))
    assert "refund_request" in eng.markers(normalize("хочу деньги назад"))


def test_gating_is_sound_on_eval_set():
    """The literal gate never changes results: compare with plain regex search per pattern."""
    texts = [normalize(t) for t in load_eval()["text"]]
    for patterns in load("signals")["markers"].values():
        for pat in patterns:
            lits = required_literals(pat)
            if not lits:
                continue
            rx = re.compile(pat)
            for t in texts:
                if rx.search(t):
                    assert any(lit in t for lit in lits), (pat, t)


def test_parallel_equals_serial(monkeypatch):
    """Enough distinct texts for the worker pool; its workers start clean (forkserver / spawn), never
    forked from a process whose threads (DuckDB, Dagster) may hold a lock: such a child hangs."""
    import multiprocessing as mp

    from data_quality import workers

    methods = []
    real = mp.get_context
    monkeypatch.setattr(workers.mp, "get_context", lambda m=None: methods.append(m) or real(m))
    base = load_eval()["text"].tolist()
    texts = [f"{t} {i}" for i in range(8) for t in base]
    assert len(set(texts)) >= 2000
    serial = score_texts(texts, n_jobs=1)
    parallel = score_texts(texts, n_jobs=2)
    assert serial == parallel
    assert methods and "fork" not in methods


def test_shuffled_and_duplicated_frame_gives_same_per_message_results():
    """Distinct texts are scored once and cached per normalised text: duplicates, order, missing texts and
    case/whitespace variants (same normalised text, different raw text for VADER) must not change any row."""
    base = load_eval()["text"].tolist()[:120]
    texts = base + [t.upper() for t in base[:20]] + ["  " + t + "  " for t in base[:20]] + [None, "", "  "]
    frame = pd.DataFrame({"message_id": range(len(texts)), "customer_id": "c", "channel": "mail",
                          "sent_at": pd.Timestamp("2025-01-01"), "direction": "inbound", "text": texts})
    ref = score_messages(frame).set_index("message_id")
    eng = SignalEngine()
    for i, t in enumerate(texts):                      # row-by-row with a fresh engine (no cache reuse)
        assert tuple(ref.iloc[i][list(ref.columns[4:])]) == eng.score_text(t), t
    big = pd.concat([frame] * 3, ignore_index=True).sample(frac=1.0, random_state=5)
    out = score_messages(big)
    assert out["message_id"].tolist() == big["message_id"].tolist()
    got = out.set_index("message_id")                  # rows come back in input order
    want = ref.loc[big["message_id"]]
    pd.testing.assert_frame_equal(got, want, check_exact=True)


def test_literal_scanner_is_exact():
    from ml.signals.gated import LiteralScanner

    lits = ["уже ", " раз", "списал", "end ", "a b", "refund", "я уже", "xd"]
    sc = LiteralScanner(lits)
    for t in load_eval()["text"].tolist() + ["a b", "уже раз", "the end is near", "", " ", "списали  дважды"]:
        t = normalize(t) if t.strip() else t
        assert sc.present(t) & set(lits) == {lit for lit in lits if lit in t}, t
