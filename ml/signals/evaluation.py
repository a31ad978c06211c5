"""Quality measurement of the signal engine on a labelled set (tests/data/messages_eval.csv)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from clientpulse_config.sections import SIGNAL_MARKERS as MARKERS

from .messages import score_messages

EVAL_PATH = Path(__file__).resolve().parents[2] / "tests" / "data" / "messages_eval.csv"
_FLAG = {
    "passive_aggressive": "is_passive_aggressive", "ultimatum": "is_ultimatum", "competitor": "mentions_competitor",
    "data_export": "asks_data_export", "price_complaint": "price_complaint",
    "billing_complaint": "billing_complaint", "refund_request": "refund_request",
}


def load_eval(path: str | Path = EVAL_PATH) -> pd.DataFrame:
    return pd.read_csv(path, encoding="utf-8")


def as_messages(labelled: pd.DataFrame) -> pd.DataFrame:
    n = len(labelled)
    return pd.DataFrame({
        "message_id": range(n), "customer_id": None, "channel": "mail",
        "sent_at": pd.Timestamp("2025-01-01"), "direction": "inbound", "text": labelled["text"].to_numpy(),
    })


def evaluate(labelled: pd.DataFrame | None = None, config: dict | None = None) -> dict:
    """-> {"markers": DataFrame(marker, support, tp, fp, fn, precision, recall, f1),
           "tone_accuracy", "tone_accuracy_ru", "tone_accuracy_en", "language_accuracy", "errors": DataFrame}"""
    labelled = load_eval() if labelled is None else labelled
    scored = score_messages(as_messages(labelled), config)
    rows = []
    errors = []
    for marker in MARKERS:
        truth = labelled[marker].astype(bool).to_numpy()
        pred = scored[_FLAG[marker]].to_numpy()
        tp = int((truth & pred).sum())
        fp = int((~truth & pred).sum())
        fn = int((truth & ~pred).sum())
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        rows.append({"marker": marker, "support": int(truth.sum()), "tp": tp, "fp": fp, "fn": fn,
                     "precision": p, "recall": r, "f1": f1})
        for i in (truth != pred).nonzero()[0]:
            errors.append({"kind": marker, "expected": bool(truth[i]), "got": bool(pred[i]),
                           "text": labelled["text"].iloc[i], "evidence": scored["evidence"].iloc[i]})
    tone_ok = scored["tone_label"].to_numpy() == labelled["tone_label"].to_numpy()
    for i in (~tone_ok).nonzero()[0]:
        errors.append({"kind": "tone", "expected": labelled["tone_label"].iloc[i], "got": scored["tone_label"].iloc[i],
                       "text": labelled["text"].iloc[i], "evidence": f"tone={scored['tone'].iloc[i]}"})
    lang = labelled["language"].to_numpy()
    return {
        "markers": pd.DataFrame(rows),
        "tone_accuracy": float(tone_ok.mean()),
        "tone_accuracy_ru": float(tone_ok[lang == "ru"].mean()),
        "tone_accuracy_en": float(tone_ok[lang == "en"].mean()),
        "language_accuracy": float((scored["language"].to_numpy() == lang).mean()),
        "n": len(labelled),
        "errors": pd.DataFrame(errors),
    }
