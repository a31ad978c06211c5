"""Customer health score (0-100, 100 = healthy) from communication trends and ticket patterns.

    health_score = round(100 * (1 - min(risk_points, risk_cap) / risk_cap), 1)

risk_points is the sum of the fired factors' points (config/health.yaml ``factors``; per_event
factors count ``points * min(events, max_events)``). Bands by thresholds on health_score. The
config is validated by ``clientpulse_config`` (every key present), so it is indexed, not guessed.
"""
from __future__ import annotations

import json
from datetime import date, datetime

import numpy as np
import pandas as pd

from clientpulse_config import load

BANDS = ("healthy", "watch", "at_risk", "critical")
BAND_RANK = {b: i for i, b in enumerate(BANDS)}
SCORE_COLUMNS = ["customer_id", "as_of", "health_score", "risk_points", "health_band", "top_reasons", "health_delta"]
FACTOR_COLUMNS = ["customer_id", "as_of", "factor", "points", "evidence"]

def load_health_config(config: dict | None = None) -> dict:
    """The health config (config/health.yaml, the user's copy) with ``config`` merged over it."""
    return load("health", config)


def health_from_risk(risk_points: float, risk_cap: float) -> float:
    return round(100.0 * (1.0 - min(float(risk_points), float(risk_cap)) / float(risk_cap)), 1)


def band_of(health: float, bands: dict) -> str:
    if health >= bands["healthy"]:
        return "healthy"
    if health >= bands["watch"]:
        return "watch"
    if health >= bands["at_risk"]:
        return "at_risk"
    return "critical"


def _num(row: dict, key: str, default: float = np.nan) -> float:
    v = row.get(key, default)
    try:
        v = float(v)
    except (TypeError, ValueError):
        return default
    return default if np.isnan(v) else v


def _evidence(row: dict) -> dict:
    """The customer's recent evidence per marker, parsed once (not once per marker: at a million
    customers the repeated json.loads was half of the step)."""
    raw = row.get("evidence_recent")
    if not isinstance(raw, str) or not raw:
        return {}
    try:
        parsed = json.loads(raw)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def customer_factors(trend: dict, tickets: dict, cfg: dict, replies: dict | None = None) -> list[dict]:
    """Fired factors for one customer: [{factor, points, evidence, params}] in config order."""
    f = cfg["factors"]
    window = int(cfg["window_days"])
    fired: list[dict] = []

    def add(code: str, events: float = 1, evidence: str = "", **params):
        spec = f[code]
        if events <= 0:
            return
        n = min(int(events), int(spec["max_events"])) if spec.get("per_event") else 1
        fired.append({"factor": code, "points": float(spec["points"]) * n, "evidence": evidence,
                      "params": {"count": int(events), **params}})

    evidence = _evidence(trend) if trend else {}

    def ev(marker: str) -> str:
        return "; ".join(f"«{p}»" for p in list(evidence.get(marker, [])))

    if trend:
        recent, prev = _num(trend, "tone_recent"), _num(trend, "tone_previous")
        if not np.isnan(recent) and not np.isnan(prev) and prev - recent >= float(f["tone_drop"]["min_drop"]):
            add("tone_drop", 1, f"tone {prev:.2f} -> {recent:.2f}", tone_previous=prev, tone_recent=recent,
                window=window)
        neg = _num(trend, "negative_recent", 0)
        add("negative_tone", neg, f"{int(neg)} negative inbound messages in {window} days")
        add("price_complaint", _num(trend, "price_complaint_recent", 0), ev("price_complaint"))
        add("billing_complaint", _num(trend, "billing_complaint_recent", 0), ev("billing_complaint"))
        add("refund_request", _num(trend, "refund_request_recent", 0), ev("refund_request"))
        add("ultimatum", _num(trend, "ultimatum_recent", 0), ev("ultimatum"))
        add("data_export", _num(trend, "data_export_recent", 0), ev("data_export"))
        names = str(trend.get("competitor_names_recent") or "").replace(";", ", ")
        add("competitor", _num(trend, "competitor_recent", 0), ev("competitor"), names=names or "—")
        add("passive_aggression", _num(trend, "passive_aggressive_recent", 0), ev("passive_aggressive"))
        if bool(trend.get("formalisation")):
            fp, fr = _num(trend, "formal_share_previous"), _num(trend, "formal_share_recent")
            add("formalisation", 1, f"formal share {fp:.0%} -> {fr:.0%}")
        silence = _num(trend, "silence_days", 0)
        if bool(trend.get("silent_90")):
            add("silence_90", 1, f"last inbound {silence:.0f} days ago", silence_days=int(silence))
        elif bool(trend.get("silent_30")):
            add("silence_30", 1, f"last inbound {silence:.0f} days ago", silence_days=int(silence))
    if tickets:
        rate = _num(tickets, "reopen_rate")
        if bool(tickets.get("reopen_flag")):
            add("reopen_rate", 1, f"{int(_num(tickets, 'reopened_tickets', 0))} of "
                f"{int(_num(tickets, 'tickets_window', 0))} tickets reopened", reopen_rate=rate)
        spec = f["billing_tickets"]
        share, n = _num(tickets, "billing_price_share"), _num(tickets, "tickets_window", 0)
        if not np.isnan(share) and share >= float(spec["min_share"]) and n >= float(spec["min_tickets"]):
            add("billing_tickets", 1, f"{share:.0%} of {int(n)} tickets in billing/price categories", share=share)
        hours = _num(tickets, "median_resolution_hours")
        if not np.isnan(hours) and hours > float(f["slow_resolution"]["hours"]):
            add("slow_resolution", 1, f"median resolution {hours:.0f} h", hours=hours)
    if replies:  # our own replies (ml.signals.trends.reply_quality): the customer waits or gets templates
        limit = float(cfg["replies"]["unanswered_hours"])
        hours_txt = f"{limit:g}"
        n_un, turns = _num(replies, "unanswered_turns", 0), _num(replies, "inbound_turns", 0)
        last = replies.get("last_unanswered_at")
        last_txt = f", last {pd.Timestamp(last):%Y-%m-%d %H:%M}" if last is not None and not pd.isna(last) else ""
        add("unanswered", n_un, f"{int(n_un)} of {int(turns)} inbound turns in {window} days without an answer "
            f"within {hours_txt} h{last_txt}", hours=hours_txt)
        spec = f["templated_replies"]
        share, n_out = _num(replies, "templated_share"), _num(replies, "outbound_messages", 0)
        if not np.isnan(share) and n_out >= float(spec["min_replies"]) and share >= float(spec["min_share"]):
            add("templated_replies", 1, f"{int(_num(replies, 'templated_outbound', 0))} of {int(n_out)} replies in "
                f"{window} days are templates", share=share)
    return fired


def reason_text(code: str, params: dict, cfg: dict) -> str:
    template = cfg["reason_templates"][cfg["reasons_language"]].get(code)
    if not template:
        return code
    try:
        return template.format(**params)
    except (KeyError, ValueError, IndexError):
        return template.split("{")[0].strip() or code


def health_scores(
    trends: pd.DataFrame | None,
    tickets_patterns: pd.DataFrame | None,
    as_of: date | datetime | str,
    config: dict | None = None,
    previous: pd.DataFrame | None = None,
    replies: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """-> (scores_df, factors_df).

    scores_df: customer_id, as_of, health_score, risk_points, health_band, top_reasons, health_delta
    (health_score minus the previous snapshot's, NaN for customers not in ``previous``).
    factors_df (long): customer_id, as_of, factor, points, evidence.
    Customers = union of the trends', ticket patterns' and reply-quality (``replies``: one row per
    customer, ml.signals.trends.reply_quality) customers.
    """
    cfg = load_health_config(config)
    as_of_d = pd.Timestamp(as_of).date()
    tr = {} if trends is None or trends.empty else {r["customer_id"]: r for r in trends.to_dict("records")}
    tp = {} if tickets_patterns is None or tickets_patterns.empty else {
        r["customer_id"]: r for r in tickets_patterns.to_dict("records")}
    rp = {} if replies is None or replies.empty else {r["customer_id"]: r for r in replies.to_dict("records")}
    ids = sorted(set(tr) | set(tp) | set(rp), key=lambda x: (str(type(x)), x))
    prev = {}
    if previous is not None and not previous.empty:
        prev = dict(zip(previous["customer_id"], previous["health_score"]))
    order = {code: i for i, code in enumerate(cfg["factors"])}
    scores, factors = [], []
    cap, bands, k = float(cfg["risk_cap"]), cfg["bands"], int(cfg["top_reasons"])
    for cid in ids:
        fired = customer_factors(tr.get(cid, {}), tp.get(cid, {}), cfg, rp.get(cid))
        risk = float(sum(x["points"] for x in fired))
        health = health_from_risk(risk, cap)
        ranked = sorted(fired, key=lambda x: (-x["points"], order.get(x["factor"], 99)))
        reasons = " + ".join(reason_text(x["factor"], x["params"], cfg) for x in ranked[:k])
        p = prev.get(cid)
        delta = round(health - float(p), 1) if p is not None and not pd.isna(p) else np.nan
        scores.append({"customer_id": cid, "as_of": as_of_d, "health_score": health, "risk_points": risk,
                       "health_band": band_of(health, bands), "top_reasons": reasons, "health_delta": delta})
        for x in ranked:
            factors.append({"customer_id": cid, "as_of": as_of_d, "factor": x["factor"], "points": x["points"],
                            "evidence": x["evidence"] or reason_text(x["factor"], x["params"], cfg),
                            "reason": reason_text(x["factor"], x["params"], cfg)})
    return (pd.DataFrame(scores, columns=SCORE_COLUMNS),
            pd.DataFrame(factors, columns=[*FACTOR_COLUMNS, "reason"]))
