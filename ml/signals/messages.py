"""score_messages: per-message signals for mail, tickets and call transcripts."""
from __future__ import annotations

import json
import os
from typing import Any

import numpy as np
import pandas as pd

from clientpulse_config import load
from data_quality.workers import worker_context

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
    cfg = load("signals", config)
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


def _init_worker(cfg: dict) -> None:
    global _WORKER_ENGINE
    _WORKER_ENGINE = SignalEngine(cfg)
    _WORKER_ENGINE.warm_up()


def _n_jobs(cfg: dict, n_rows: int) -> int:
    n = cfg["n_jobs"]
    cores = os.cpu_count() or 1
    if n in (None, "auto"):
        return cores if n_rows >= int(cfg["parallel_min_rows"]) else 1
    n = int(n)
    return cores if n <= 0 else max(1, min(n, cores))


def _score_distinct(engine: SignalEngine, texts: list[Any], jobs: int) -> list[list]:
    """Columns (OUTPUT_FIELDS order) for a list of distinct texts, in order."""
    if jobs <= 1 or len(texts) < 2 * 1000:
        return _score_chunk_with(engine, texts)
    # each worker builds its own engine from the config; only strings travel
    chunk = max(2000, min(100_000, -(-len(texts) // (jobs * 4))))
    parts = [texts[i:i + chunk] for i in range(0, len(texts), chunk)]
    with worker_context().Pool(jobs, initializer=_init_worker, initargs=(engine.cfg,)) as pool:
        results = pool.map(_worker_chunk, parts, chunksize=1)
    cols: list[list] = [[] for _ in OUTPUT_FIELDS]
    for res in results:
        for acc, col in zip(cols, res):
            acc.extend(col)
    return cols


def _score_columns(texts: Any, config: dict | None = None, n_jobs: int | None = None) -> dict[str, np.ndarray]:
    """Score texts -> column name -> numpy array (tone float64, flags bool, the rest object).

    Every distinct text is scored once (identical texts give identical results); rows are
    expanded back with one vectorised take per column."""
    cfg = load("signals", config)
    engine = get_engine(cfg)
    values = np.empty(len(texts), dtype=object)
    values[:] = list(texts) if not isinstance(texts, (list, np.ndarray)) else texts
    codes, uniques = pd.factorize(values, use_na_sentinel=True)     # missing (None/NaN) -> -1
    uniques = list(uniques)
    jobs = n_jobs if n_jobs is not None else _n_jobs(cfg, len(values))
    cols = _score_distinct(engine, uniques, jobs)
    empty = engine.score_text(None)
    codes = np.where(codes < 0, len(uniques), codes)                 # missing -> the appended empty row
    out: dict[str, np.ndarray] = {}
    for name, col, default in zip(OUTPUT_FIELDS, cols, empty):
        if name == "tone":
            arr = np.asarray(col + [default], dtype="float64")
        elif name in _BOOL_FIELDS:
            arr = np.asarray(col + [default], dtype=bool)
        else:
            arr = np.empty(len(col) + 1, dtype=object)
            arr[:] = col + [default]
        out[name] = arr.take(codes)
    return out


def score_texts(texts: list[Any], config: dict | None = None, n_jobs: int | None = None) -> dict[str, list]:
    """Score a list of texts; returns column name -> list (OUTPUT_FIELDS)."""
    return {name: col.tolist() for name, col in _score_columns(texts, config, n_jobs).items()}


def score_messages(frame: pd.DataFrame, config: dict | None = None) -> pd.DataFrame:
    """One output row per input message.

    Input columns: message_id, customer_id (nullable), channel (mail/ticket/call/chat), sent_at,
    direction (inbound/outbound/None), text. Output: those (minus text) plus language, tone
    [-1, 1], tone_label, register, seven marker flags, competitor_names (``;``-joined) and
    evidence (JSON: marker -> matched phrases).
    """
    missing = [c for c in INPUT_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"score_messages: missing input columns {missing}")
    cols = _score_columns(frame["text"].to_numpy(dtype=object), config)
    out = pd.DataFrame({
        "message_id": frame["message_id"].to_numpy(),
        "customer_id": frame["customer_id"].to_numpy(),
        "channel": frame["channel"].to_numpy(),
        "sent_at": (frame["sent_at"] if pd.api.types.is_datetime64_any_dtype(frame["sent_at"])
                    else pd.to_datetime(frame["sent_at"], errors="coerce", format="mixed")).to_numpy(),
        "direction": frame["direction"].to_numpy(),
    })
    for name in OUTPUT_FIELDS:
        out[name] = cols[name]
    return out


def with_reply_columns(signals: pd.DataFrame, frame: pd.DataFrame, replies: dict) -> pd.DataFrame:
    """``score_messages`` output (rows in ``frame``'s order) plus what reply quality needs:
    thread_id (the chat) and is_templated — an outbound message of ``replies.reply_channels`` that
    is a near-duplicate of enough other outbound texts (config/health.yaml ``replies``,
    ``ml.signals.trends.templated_flags``), so the texts themselves stay out of the ml schema."""
    from .trends import templated_flags

    flags = np.zeros(len(frame), dtype=bool)
    outbound = (frame["direction"].astype("object").eq("outbound")
                & frame["channel"].isin(list(replies["reply_channels"]))).to_numpy()
    if outbound.any():
        flags[outbound] = templated_flags(frame.loc[outbound, "text"].reset_index(drop=True), replies)
    return signals.assign(thread_id=frame["thread_id"].to_numpy() if "thread_id" in frame else None,
                          is_templated=flags)
