"""Quality measurement of the signal engine on a labelled set (tests/data/messages_eval.csv and
messages_eval_v2.csv; a marker without a column in the file is not scored)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from clientpulse_config.sections import SIGNAL_MARKERS as MARKERS

from .messages import score_messages

EVAL_PATH = Path(__file__).resolve().parents[2] / "tests" / "data" / "messages_eval.csv"
EVAL_V2_PATH = EVAL_PATH.with_name("messages_eval_v2.csv")
_FLAG = {
    "passive_aggressive": "is_passive_aggressive", "ultimatum": "is_ultimatum", "competitor": "mentions_competitor",
    "data_export": "asks_data_export", "price_complaint": "price_complaint",
    "billing_complaint": "billing_complaint", "refund_request": "refund_request", "sarcasm": "is_sarcastic",
}


def load_eval(path: str | Path = EVAL_PATH) -> pd.DataFrame:
    return pd.read_csv(path, encoding="utf-8", keep_default_na=False)


def _names(value) -> set[str]:
    return {n.strip().lower() for n in str(value or "").split(";") if n.strip()}


def as_messages(labelled: pd.DataFrame) -> pd.DataFrame:
    n = len(labelled)
    return pd.DataFrame({
        "message_id": range(n), "customer_id": None, "channel": "mail",
        "sent_at": pd.Timestamp("2025-01-01"), "direction": "inbound", "text": labelled["text"].to_numpy(),
    })


def evaluate(labelled: pd.DataFrame | None = None, config: dict | None = None) -> dict:
    """-> {"markers": DataFrame(marker, support, tp, fp, fn, precision, recall, f1), "macro_f1" (markers
    with support), "tone_accuracy" (three labels), "tone_sign_accuracy" (messages labelled negative or
    positive whose tone value has that sign), "tone_accuracy_ru", "tone_accuracy_en",
    "language_accuracy", "name_accuracy" (rows with expected competitor_names: the found set equals
    it, case-insensitive), "errors": DataFrame}"""
    labelled = load_eval() if labelled is None else labelled
    scored = score_messages(as_messages(labelled), config)
    rows = []
    errors = []
    for marker in MARKERS:
        if marker not in labelled.columns:
            continue
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
    truth_tone = labelled["tone_label"].to_numpy()
    polar = truth_tone != "neutral"
    tone_val = scored["tone"].to_numpy()
    sign_ok = np.where(truth_tone == "negative", tone_val < 0, tone_val > 0)[polar]
    name_acc = None
    if "competitor_names" in labelled.columns:
        want = [_names(v) for v in labelled["competitor_names"]]
        got = [_names(v) for v in scored["competitor_names"]]
        pairs = [(w, g) for w, g in zip(want, got) if w]
        name_acc = sum(w == g for w, g in pairs) / len(pairs) if pairs else None
        for i, (w, g) in enumerate(zip(want, got)):
            if w and w != g:
                errors.append({"kind": "competitor_names", "expected": ";".join(sorted(w)), "got": ";".join(sorted(g)),
                               "text": labelled["text"].iloc[i], "evidence": scored["evidence"].iloc[i]})
    markers = pd.DataFrame(rows)
    return {
        "markers": markers,
        "macro_f1": float(markers.loc[markers["support"] > 0, "f1"].mean()),
        "tone_accuracy": float(tone_ok.mean()),
        "tone_sign_accuracy": float(sign_ok.mean()) if len(sign_ok) else float("nan"),
        "name_accuracy": name_acc,
        "tone_accuracy_ru": float(tone_ok[lang == "ru"].mean()),
        "tone_accuracy_en": float(tone_ok[lang == "en"].mean()),
        "language_accuracy": float((scored["language"].to_numpy() == lang).mean()),
        "n": len(labelled),
        "errors": pd.DataFrame(errors),
    }
