"""Quality floors on tests/data/messages_eval.csv (measured values minus a margin; see bench/bench_signals.py).

Measured (all 382 rows): tone accuracy 0.92; marker F1 0.92-0.99. Holdout split (70 rows written after
the rules were frozen): tone 0.84, marker F1 0.67-1.00. Floors are set on the whole set and on holdout.
"""
import pytest

from ml.signals import lexicon_ru
from ml.signals.evaluation import evaluate, load_eval


@pytest.fixture(scope="module")
def results():
    data = load_eval()
    return {"all": evaluate(data), "holdout": evaluate(data[data["split"] == "holdout"].reset_index(drop=True))}


def test_eval_set_shape():
    data = load_eval()
    assert len(data) >= 300
    share_ru = (data["language"] == "ru").mean()
    assert 0.6 <= share_ru <= 0.7 and (data["language"] == "en").mean() >= 0.3
    for col in ("passive_aggressive", "ultimatum", "competitor", "data_export", "price_complaint",
                "billing_complaint", "refund_request"):
        assert set(data[col]) == {0, 1} and data[col].sum() >= 15


def test_quality_floors_all(results):
    r = results["all"]
    assert r["tone_accuracy"] >= 0.85
    assert r["language_accuracy"] >= 0.98
    f1 = dict(zip(r["markers"]["marker"], r["markers"]["f1"]))
    for marker, value in f1.items():
        assert value >= 0.85, (marker, value)


def test_quality_floors_holdout(results):
    r = results["holdout"]
    assert r["tone_accuracy"] >= 0.75
    f1 = dict(zip(r["markers"]["marker"], r["markers"]["f1"]))
    assert sum(f1.values()) / len(f1) >= 0.78
    for marker, value in f1.items():
        assert value >= 0.6, (marker, value)


def test_lexicon_keys_are_lemmas():
    import pymorphy3

    morph = pymorphy3.MorphAnalyzer()
    # every key must be the lemma of at least one analysis of itself, otherwise it can never match
    bad = [w for w in lexicon_ru.LEXICON
           if w.replace("ё", "е") not in {p.normal_form.replace("ё", "е") for p in morph.parse(w)}]
    assert bad == [], bad
