"""Customer health score (0-100, 100 = healthy) from communication trends and ticket patterns.

    health_score = round(100 * (1 - min(risk_points, risk_cap) / risk_cap), 1)

risk_points is the sum of the fired factors' points (config/health.yaml ``factors``; per_event
factors count ``points * min(events, max_events)``). Bands by thresholds on health_score.
"""
from __future__ import annotations

import copy
import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

HEALTH_CONFIG_PATH = Path(__file__).resolve().parents[1] / "config" / "health.yaml"
BANDS = ("healthy", "watch", "at_risk", "critical")
BAND_RANK = {b: i for i, b in enumerate(BANDS)}
SCORE_COLUMNS = ["customer_id", "as_of", "health_score", "risk_points", "health_band", "top_reasons", "health_delta"]
FACTOR_COLUMNS = ["customer_id", "as_of", "factor", "points", "evidence"]

DEFAULT_HEALTH: dict[str, Any] = {
    "risk_cap": 30,
    "bands": {"healthy": 80, "watch": 55, "at_risk": 30},
    "factors": {
        "negative_tone": {"points": 2, "per_event": True, "max_events": 3},
        "price_complaint": {"points": 5, "per_event": True, "max_events": 2},
        "silence_30": {"points": 8}, "silence_90": {"points": 14}, "ultimatum": {"points": 10},
        "data_export": {"points": 8}, "competitor": {"points": 6},
        "passive_aggression": {"points": 3, "per_event": True, "max_events": 2},
        "billing_complaint": {"points": 4}, "refund_request": {"points": 5}, "reopen_rate": {"points": 6},
        "billing_tickets": {"points": 3, "min_share": 0.3, "min_tickets": 2},
        "slow_resolution": {"points": 2, "hours": 72}, "formalisation": {"points": 4},
        "tone_drop": {"points": 6, "min_drop": 0.3},
    },
    "top_reasons": 3,
    "reasons_language": "ru",
    "reason_templates": {"ru": {}, "en": {}},
    "playbooks": {},
    "window_days": 30,
    "alerts": {
        "min_band": "at_risk", "severity": {"critical": "critical", "at_risk": "high", "watch": "medium"},
        "max_playbooks": 3, "message_template": {},
    },
}


def _merge(base: dict, override: dict) -> dict:
    out = copy.deepcopy(base)
    for k, v in (override or {}).items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else copy.deepcopy(v)
    return out


def load_health_config(config: dict | str | Path | None = None) -> dict:
    """defaults <- config/health.yaml <- ``config`` (dict merged over, or a YAML path)."""
    if isinstance(config, dict) and config.get("_loaded"):
        return config
    if isinstance(config, (str, Path)):
        with open(config, encoding="utf-8") as fh:
            out = _merge(DEFAULT_HEALTH, yaml.safe_load(fh) or {})
    else:
        base = DEFAULT_HEALTH
        cfg = dict(config or {})
        if not cfg.pop("_no_file", False) and HEALTH_CONFIG_PATH.exists():
            with open(HEALTH_CONFIG_PATH, encoding="utf-8") as fh:
                base = _merge(DEFAULT_HEALTH, yaml.safe_load(fh) or {})
        out = _merge(base, cfg)
    out["_loaded"] = True
    return out


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


def _evidence(row: dict, marker: str) -> list[str]:
    raw = row.get("evidence_recent")
    if not isinstance(raw, str) or not raw:
        return []
    try:
        return list(json.loads(raw).get(marker, []))
    except ValueError:
        return []


def customer_factors(trend: dict, tickets: dict, cfg: dict) -> list[dict]:
    """Fired factors for one customer: [{factor, points, evidence, params}] in config order."""
    f = cfg["factors"]
    window = int(cfg.get("window_days", 30))
    fired: list[dict] = []

    def add(code: str, events: float = 1, evidence: str = "", **params):
        spec = f.get(code)
        if not spec or events <= 0:
            return
        n = min(int(events), int(spec.get("max_events", 1))) if spec.get("per_event") else 1
        fired.append({"factor": code, "points": float(spec["points"]) * n, "evidence": evidence,
                      "params": {"count": int(events), **params}})

    def ev(marker: str) -> str:
        return "; ".join(f"«{p}»" for p in _evidence(trend, marker))

    if trend:
        recent, prev = _num(trend, "tone_recent"), _num(trend, "tone_previous")
        spec = f.get("tone_drop") or {}
        if not np.isnan(recent) and not np.isnan(prev) and prev - recent >= float(spec.get("min_drop", 0.3)):
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
        if bool(trend.get("silent_90")) and "silence_90" in f:
            add("silence_90", 1, f"last inbound {silence:.0f} days ago", silence_days=int(silence))
        elif bool(trend.get("silent_30")):
            add("silence_30", 1, f"last inbound {silence:.0f} days ago", silence_days=int(silence))
    if tickets:
        rate = _num(tickets, "reopen_rate")
        if bool(tickets.get("reopen_flag")):
            add("reopen_rate", 1, f"{int(_num(tickets, 'reopened_tickets', 0))} of "
                f"{int(_num(tickets, 'tickets_window', 0))} tickets reopened", reopen_rate=rate)
        spec = f.get("billing_tickets") or {}
        share, n = _num(tickets, "billing_price_share"), _num(tickets, "tickets_window", 0)
        if not np.isnan(share) and share >= float(spec.get("min_share", 0.3)) and n >= float(spec.get("min_tickets", 1)):
            add("billing_tickets", 1, f"{share:.0%} of {int(n)} tickets in billing/price categories", share=share)
        spec = f.get("slow_resolution") or {}
        hours = _num(tickets, "median_resolution_hours")
        if not np.isnan(hours) and hours > float(spec.get("hours", 72)):
            add("slow_resolution", 1, f"median resolution {hours:.0f} h", hours=hours)
    return fired


def reason_text(code: str, params: dict, cfg: dict) -> str:
    lang = cfg.get("reasons_language", "ru")
    template = (cfg.get("reason_templates") or {}).get(lang, {}).get(code)
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
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """-> (scores_df, factors_df).

    scores_df: customer_id, as_of, health_score, risk_points, health_band, top_reasons, health_delta
    (health_score minus the previous snapshot's, NaN for customers not in ``previous``).
    factors_df (long): customer_id, as_of, factor, points, evidence.
    Customers = union of the trends' and ticket patterns' customers.
    """
    cfg = load_health_config(config)
    as_of_d = pd.Timestamp(as_of).date()
    tr = {} if trends is None or trends.empty else {r["customer_id"]: r for r in trends.to_dict("records")}
    tp = {} if tickets_patterns is None or tickets_patterns.empty else {
        r["customer_id"]: r for r in tickets_patterns.to_dict("records")}
    ids = sorted(set(tr) | set(tp), key=lambda x: (str(type(x)), x))
    prev = {}
    if previous is not None and not previous.empty:
        prev = dict(zip(previous["customer_id"], previous["health_score"]))
    order = {code: i for i, code in enumerate(cfg["factors"])}
    scores, factors = [], []
    cap, bands, k = float(cfg["risk_cap"]), cfg["bands"], int(cfg.get("top_reasons", 3))
    for cid in ids:
        fired = customer_factors(tr.get(cid, {}), tp.get(cid, {}), cfg)
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
