"""score_messages: per-message signals for mail, tickets and call transcripts."""
from __future__ import annotations

import json
import multiprocessing as mp
import os
from typing import Any

import numpy as np
import pandas as pd

from .config import load_config
from .engine import OUTPUT_FIELDS, SignalEngine

INPUT_COLUMNS = ("message_id", "customer_id", "channel", "sent_at", "direction", "text")
_BOOL_FIELDS = {
    "is_passive_aggressive", "is_ultimatum", "mentions_competitor", "asks_data_export", "price_complaint",
    "billing_complaint", "refund_request",
}

_ENGINES: dict[str, SignalEngine] = {}   # per-process engines keyed by their config (caches survive calls)
_WORKER_ENGINE: SignalEngine | None = None


def get_engine(config: dict | None = None) -> SignalEngine:
    """A cached engine for this config (its lemma and VADER caches survive between calls)."""
    cfg = load_config(config)
    key = json.dumps(cfg, sort_keys=True, default=str, ensure_ascii=False)
    eng = _ENGINES.get(key)
    if eng is None:
        if len(_ENGINES) > 8:
            _ENGINES.clear()
        eng = _ENGINES[key] = SignalEngine(cfg)
    return eng


def _score_chunk_with(engine: SignalEngine, texts: list[Any]) -> list[list]:
    score = engine.score_text
    rows = [score(t) for t in texts]
    return [list(col) for col in zip(*rows)] if rows else [[] for _ in OUTPUT_FIELDS]


def _worker_chunk(texts: list[Any]) -> list[list]:
    assert _WORKER_ENGINE is not None
    return _score_chunk_with(_WORKER_ENGINE, texts)


def _n_jobs(cfg: dict, n_rows: int) -> int:
    n = cfg.get("n_jobs", "auto")
    cores = os.cpu_count() or 1
    if n in (None, "auto"):
        return cores if n_rows >= int(cfg.get("parallel_min_rows", 50000)) else 1
    n = int(n)
    return cores if n <= 0 else max(1, min(n, cores))


def score_texts(texts: list[Any], config: dict | None = None, n_jobs: int | None = None) -> dict[str, list]:
    """Score a list of texts; returns column name -> list (OUTPUT_FIELDS)."""
    global _WORKER_ENGINE
    cfg = load_config(config)
    engine = get_engine(cfg)
    jobs = n_jobs if n_jobs is not None else _n_jobs(cfg, len(texts))
    if jobs <= 1 or len(texts) < 2 * 1000 or "fork" not in mp.get_all_start_methods():
        cols = _score_chunk_with(engine, texts)
    else:
        # fork: workers inherit the compiled engine and its warm lemma cache (copy-on-write)
        _WORKER_ENGINE = engine
        chunk = max(1000, min(20000, len(texts) // (jobs * 8) or 1000))
        parts = [texts[i:i + chunk] for i in range(0, len(texts), chunk)]
        ctx = mp.get_context("fork")
        with ctx.Pool(jobs) as pool:
            results = pool.map(_worker_chunk, parts, chunksize=1)
        _WORKER_ENGINE = None
        cols = [[] for _ in OUTPUT_FIELDS]
        for res in results:
            for acc, col in zip(cols, res):
                acc.extend(col)
    return dict(zip(OUTPUT_FIELDS, cols))


def score_messages(frame: pd.DataFrame, config: dict | None = None) -> pd.DataFrame:
    """One output row per input message.

    Input columns: message_id, customer_id (nullable), channel (mail/ticket/call), sent_at,
    direction (inbound/outbound/None), text. Output: those (minus text) plus language, tone
    [-1, 1], tone_label, register, seven marker flags, competitor_names (``;``-joined) and
    evidence (JSON: marker -> matched phrases).
    """
    missing = [c for c in INPUT_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"score_messages: missing input columns {missing}")
    cols = score_texts(frame["text"].tolist(), config)
    out = pd.DataFrame({
        "message_id": frame["message_id"].to_numpy(),
        "customer_id": frame["customer_id"].to_numpy(),
        "channel": frame["channel"].to_numpy(),
        "sent_at": (frame["sent_at"] if pd.api.types.is_datetime64_any_dtype(frame["sent_at"])
                    else pd.to_datetime(frame["sent_at"], errors="coerce", format="mixed")).to_numpy(),
        "direction": frame["direction"].to_numpy(),
    })
    for name in OUTPUT_FIELDS:
        values = cols[name]
        if name == "tone":
            out[name] = np.asarray(values, dtype="float64")
        elif name in _BOOL_FIELDS:
            out[name] = np.asarray(values, dtype=bool)
        else:
            out[name] = values
    return out
