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


def health_scores_by_customer(trends, tickets_patterns, as_of, config=None, previous=None, replies=None):
    """The per-customer definition of :func:`health_scores` (same arguments, same frames): one
    ``customer_factors`` call per customer, ~74 µs each, the reference the vectorised version is
    tested against row for row."""
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


# ----------------------------------------------------------------------------- vectorised


class _Side:
    """One input frame (trends, ticket patterns or replies) aligned to the sorted customer ids: the
    ``_num`` / ``bool`` / raw reads of ``customer_factors`` as arrays, ``has`` = the customer has a row
    (a duplicated customer keeps its last row, as the per-customer dicts do)."""

    def __init__(self, frame: pd.DataFrame | None, ids: np.ndarray):
        self.n = len(ids)
        if frame is None or frame.empty:
            self.frame, self.has, self.pos = None, np.zeros(self.n, bool), np.zeros(self.n, np.int64)
            return
        self.frame = frame.drop_duplicates("customer_id", keep="last").reset_index(drop=True)
        pos = pd.Index(self.frame["customer_id"]).get_indexer(ids)
        self.has, self.pos = pos >= 0, np.where(pos >= 0, pos, 0)

    def _aligned(self, values: np.ndarray, default):
        out = values[self.pos] if len(values) else np.full(self.n, default, dtype=values.dtype)
        return np.where(self.has, out, default)

    def num(self, key: str, default: float = np.nan) -> np.ndarray:
        if self.frame is None or key not in self.frame:
            return np.full(self.n, default, dtype=float)
        v = pd.to_numeric(self.frame[key], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        return self._aligned(np.where(np.isnan(v), default, v), default)

    def flag(self, key: str) -> np.ndarray:
        if self.frame is None or key not in self.frame:
            return np.zeros(self.n, bool)
        return self._aligned(self.frame[key].astype(bool).to_numpy(), False)  # bool(NaN) is True, as in Python

    def raw(self, key: str) -> np.ndarray:
        if self.frame is None or key not in self.frame:
            return np.full(self.n, None, dtype=object)
        return self._aligned(self.frame[key].to_numpy(dtype=object), None)


def _sorted_ids(*sides: pd.DataFrame | None) -> np.ndarray:
    parts = [f["customer_id"].to_numpy(dtype=object) for f in sides if f is not None and not f.empty]
    if not parts:
        return np.array([], dtype=object)
    ids = pd.unique(np.concatenate(parts))
    if pd.api.types.infer_dtype(ids, skipna=False) == "string":
        return np.sort(ids)
    return np.array(sorted(ids, key=lambda x: (str(type(x)), x)), dtype=object)


def per_distinct(values: np.ndarray, fn) -> np.ndarray:
    """``fn`` applied once per distinct value (object array out); missing values (None, NaN, NaT...)
    once per kind, so that None and NaN stay apart."""
    values = np.asarray(values, dtype=object)
    out = np.empty(len(values), dtype=object)
    if not len(values):
        return out
    codes, uniques = pd.factorize(pd.Series(values, dtype=object))
    ok = codes >= 0
    out[ok] = np.array([fn(u) for u in uniques] + [None], dtype=object)[:-1][codes[ok]]
    missing = np.flatnonzero(~ok)
    if len(missing):
        kinds = pd.Series(values[missing]).map(type).to_numpy()
        for kind in pd.unique(kinds):
            rows = missing[kinds == kind]
            out[rows] = fn(values[rows[0]])
    return out


def _fmt(spec: str, values: np.ndarray) -> np.ndarray:
    """printf-style formatting of a float array (``'%.2f' % x`` == ``f'{x:.2f}'`` for floats)."""
    if not len(values):
        return np.array([], dtype=object)
    return np.char.mod(spec, np.asarray(values, dtype=float)).astype(object)


def _ints(values: np.ndarray) -> np.ndarray:
    """``str(int(x))`` of a float array."""
    return np.asarray(values, dtype=float).astype(np.int64).astype(str).astype(object)


def _pct(values: np.ndarray) -> np.ndarray:
    """``f'{x:.0%}'``: the float times 100, formatted ``.0f``, then ``%``."""
    return _fmt("%.0f", np.asarray(values, dtype=float) * 100) + "%"


def _template_keys(template: str) -> list[str] | None:
    """The parameter names a reason template reads (None: every parameter may matter)."""
    import string

    try:
        keys = []
        for _, field, spec, _ in string.Formatter().parse(template):
            if field is None:
                continue
            if spec and "{" in spec:
                return None
            keys.append(field.split(".")[0].split("[")[0])
        return keys
    except ValueError:
        return []


def _reasons(code: str, params: dict[str, np.ndarray], m: int, cfg: dict) -> np.ndarray:
    """``reason_text`` of ``m`` fired rows, formatted once per distinct combination of the parameters
    its template reads."""
    template = cfg["reason_templates"][cfg["reasons_language"]].get(code)
    keys = _template_keys(template) if template else []
    used = list(params) if keys is None else [k for k in dict.fromkeys(keys) if k in params]
    if not used or m == 0:
        return np.full(m, reason_text(code, {k: v[0] for k, v in params.items()} if m else {}, cfg), dtype=object)
    combos = pd.DataFrame({k: pd.Series(_key(params[k])) for k in used})
    codes = combos.groupby(used, sort=False, dropna=False).ngroup().to_numpy()
    first = pd.Series(np.arange(m)).groupby(codes).first().to_numpy()
    texts = [reason_text(code, {k: params[k][i] for k in params}, cfg) for i in first]
    return np.array([*texts, None], dtype=object)[:-1][codes]


def _key(values: np.ndarray) -> np.ndarray:
    """A grouping key that tells -0.0 from 0.0 (they format differently): floats by their bits."""
    if values.dtype.kind == "f":
        return values.view(np.int64)
    if len(values) and values.dtype == object and isinstance(values[0], float):
        return np.asarray(values, dtype=float).view(np.int64)
    return values


def _py(values: np.ndarray, kind) -> np.ndarray:
    """The Python values (int / float) the per-customer params hold, for the reason templates."""
    if not len(values):
        return np.array([], dtype=object)
    codes, uniques = pd.factorize(_key(np.ascontiguousarray(values)))
    first = np.zeros(len(uniques), np.int64)
    first[codes[::-1]] = np.arange(len(values))[::-1]
    return np.array([kind(values[i]) for i in first] + [None], dtype=object)[:-1][codes]


def health_scores(
    trends: pd.DataFrame | None,
    tickets_patterns: pd.DataFrame | None,
    as_of: date | datetime | str,
    config: dict | None = None,
    previous: pd.DataFrame | None = None,
    replies: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """-> (scores_df, factors_df), equal row for row to :func:`health_scores_by_customer` (the
    factors of ``customer_factors``) but as columns over all customers: at a million customers the
    per-customer loop was the step's whole cost.

    scores_df: customer_id, as_of, health_score, risk_points, health_band, top_reasons, health_delta
    (health_score minus the previous snapshot's, NaN for customers not in ``previous``).
    factors_df (long): customer_id, as_of, factor, points, evidence, reason.
    Customers = union of the trends', ticket patterns' and reply-quality (``replies``: one row per
    customer, ml.signals.trends.reply_quality) customers.
    """
    cfg = load_health_config(config)
    as_of_d = pd.Timestamp(as_of).date()
    ids = _sorted_ids(trends, tickets_patterns, replies)
    if not len(ids):
        return pd.DataFrame([], columns=SCORE_COLUMNS), pd.DataFrame([], columns=[*FACTOR_COLUMNS, "reason"])
    fired = _fired_factors(_Side(trends, ids), _Side(tickets_patterns, ids), _Side(replies, ids), cfg)
    return _score_frames(ids, fired, as_of_d, cfg, previous)


def _fired_factors(tr: _Side, tp: _Side, rp: _Side, cfg: dict) -> list[tuple]:
    """[(code, rows, events, evidence, params)] in ``customer_factors``' order: ``rows`` the customers
    (positions) the factor fired for, ``evidence`` / ``params`` arrays over those rows."""
    f, window = cfg["factors"], int(cfg["window_days"])
    out: list[tuple] = []

    def add(code: str, mask: np.ndarray, events, evidence, **params):
        mask = mask & (events > 0)
        rows = np.flatnonzero(mask)
        ev = events[rows]
        ev_text = evidence(rows) if callable(evidence) else np.full(len(rows), evidence, dtype=object)
        out.append((code, rows, ev, ev_text,
                    {"count": _py(ev.astype(np.int64), int),
                     **{k: (v(rows) if callable(v) else np.full(len(rows), v, dtype=object)) for k, v in params.items()}}))

    one = np.ones(tr.n)
    has_tr = tr.has
    recent, prev = tr.num("tone_recent"), tr.num("tone_previous")
    with np.errstate(invalid="ignore"):
        drop = has_tr & ~np.isnan(recent) & ~np.isnan(prev) & (prev - recent >= float(f["tone_drop"]["min_drop"]))
    add("tone_drop", drop, one, lambda r: "tone " + _fmt("%.2f", prev[r]) + " -> " + _fmt("%.2f", recent[r]),
        tone_previous=lambda r: _py(prev[r], float), tone_recent=lambda r: _py(recent[r], float), window=window)
    neg = tr.num("negative_recent", 0)
    add("negative_tone", has_tr, neg, lambda r: _ints(neg[r]) + f" negative inbound messages in {window} days")
    markers = [("price_complaint", "price_complaint_recent", "price_complaint"),
               ("billing_complaint", "billing_complaint_recent", "billing_complaint"),
               ("refund_request", "refund_request_recent", "refund_request"),
               ("ultimatum", "ultimatum_recent", "ultimatum"), ("data_export", "data_export_recent", "data_export"),
               ("competitor", "competitor_recent", "competitor"),
               ("passive_aggression", "passive_aggressive_recent", "passive_aggressive")]
    counts = {code: tr.num(col, 0) for code, col, _ in markers}
    evidence = _marker_evidence(tr, has_tr & np.logical_or.reduce([c > 0 for c in counts.values()]),
                                [m for _, _, m in markers])
    names = per_distinct(tr.raw("competitor_names_recent"), lambda v: str(v or "").replace(";", ", ") or "—")
    for code, _, marker in markers:
        extra = {"names": lambda r: names[r]} if code == "competitor" else {}
        add(code, has_tr, counts[code], lambda r, m=marker: evidence[m][r], **extra)
    fp, fr = tr.num("formal_share_previous"), tr.num("formal_share_recent")
    add("formalisation", has_tr & tr.flag("formalisation"), one,
        lambda r: "formal share " + _pct(fp[r]) + " -> " + _pct(fr[r]))
    silence = tr.num("silence_days", 0)
    s90, s30 = has_tr & tr.flag("silent_90"), has_tr & tr.flag("silent_30")
    for code, mask in (("silence_90", s90), ("silence_30", s30 & ~s90)):
        add(code, mask, one, lambda r: "last inbound " + _fmt("%.0f", silence[r]) + " days ago",
            silence_days=lambda r: _py(silence[r].astype(np.int64), int))

    has_tp = tp.has
    rate, n_tickets = tp.num("reopen_rate"), tp.num("tickets_window", 0)
    reopened = tp.num("reopened_tickets", 0)
    add("reopen_rate", has_tp & tp.flag("reopen_flag"), one,
        lambda r: _ints(reopened[r]) + " of " + _ints(n_tickets[r]) + " tickets reopened",
        reopen_rate=lambda r: _py(rate[r], float))
    spec, share = f["billing_tickets"], tp.num("billing_price_share")
    with np.errstate(invalid="ignore"):
        billing = has_tp & ~np.isnan(share) & (share >= float(spec["min_share"])) & (n_tickets >= float(spec["min_tickets"]))
    add("billing_tickets", billing, one,
        lambda r: _pct(share[r]) + " of " + _ints(n_tickets[r]) + " tickets in billing/price categories",
        share=lambda r: _py(share[r], float))
    hours = tp.num("median_resolution_hours")
    with np.errstate(invalid="ignore"):
        slow = has_tp & ~np.isnan(hours) & (hours > float(f["slow_resolution"]["hours"]))
    add("slow_resolution", slow, one, lambda r: "median resolution " + _fmt("%.0f", hours[r]) + " h",
        hours=lambda r: _py(hours[r], float))

    has_rp = rp.has
    hours_txt = f"{float(cfg['replies']['unanswered_hours']):g}"
    n_un, turns = rp.num("unanswered_turns", 0), rp.num("inbound_turns", 0)
    last = _last_unanswered(rp)
    add("unanswered", has_rp, n_un, lambda r: _ints(n_un[r]) + " of " + _ints(turns[r]) +
        f" inbound turns in {window} days without an answer within {hours_txt} h" + last[r], hours=hours_txt)
    spec, t_share, n_out = f["templated_replies"], rp.num("templated_share"), rp.num("outbound_messages", 0)
    templated = rp.num("templated_outbound", 0)
    with np.errstate(invalid="ignore"):
        tmask = has_rp & ~np.isnan(t_share) & (n_out >= float(spec["min_replies"])) & (t_share >= float(spec["min_share"]))
    add("templated_replies", tmask, one, lambda r: _ints(templated[r]) + " of " + _ints(n_out[r]) +
        f" replies in {window} days are templates", share=lambda r: _py(t_share[r], float))
    return out


def _marker_evidence(tr: _Side, need: np.ndarray, markers: list[str]) -> dict[str, np.ndarray]:
    """Per marker, the ``«phrase»; «phrase»`` evidence of each customer (parsed once per distinct
    ``evidence_recent`` among the customers with any marker)."""
    out = {m: np.full(tr.n, "", dtype=object) for m in markers}
    rows = np.flatnonzero(need)
    if not len(rows):
        return out
    codes, uniques = pd.factorize(pd.Series(tr.raw("evidence_recent")[rows], dtype=object), use_na_sentinel=False)
    parsed = [_evidence({"evidence_recent": u}) for u in uniques]
    for m in markers:
        texts = np.array(["; ".join(f"«{p}»" for p in list(e.get(m, []))) for e in parsed] + [None], dtype=object)
        out[m][rows] = texts[:-1][codes]
    return out


def _last_unanswered(rp: _Side) -> np.ndarray:
    """``, last YYYY-MM-DD HH:MM`` of the last unanswered turn ('' when there is none)."""
    raw = rp.raw("last_unanswered_at")
    out = np.full(rp.n, "", dtype=object)
    ok = np.flatnonzero(pd.notna(raw))
    if len(ok):
        stamps = pd.Series(raw[ok], dtype=object)
        try:
            text = pd.to_datetime(stamps).dt.strftime("%Y-%m-%d %H:%M").to_numpy(dtype=object)
        except (TypeError, ValueError):  # mixed time zones and the like: one Timestamp per distinct value
            text = per_distinct(stamps.to_numpy(), lambda v: f"{pd.Timestamp(v):%Y-%m-%d %H:%M}")
        out[ok] = ", last " + text
    return out


def _score_frames(ids: np.ndarray, fired: list[tuple], as_of_d, cfg: dict,
                  previous: pd.DataFrame | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Points per customer summed in ``customer_factors``' order, ranked (points, config order),
    the top reasons joined, score / band / delta once per distinct value."""
    n, f = len(ids), cfg["factors"]
    order = {code: i for i, code in enumerate(f)}
    parts = {"cust": [], "order": [], "points": [], "factor": [], "evidence": [], "reason": []}
    for code, rows, events, evidence, params in fired:
        spec = f[code]
        k = np.minimum(events.astype(np.int64), int(spec["max_events"])) if spec.get("per_event") else 1
        points = float(spec["points"]) * np.broadcast_to(np.asarray(k, dtype=float), rows.shape)
        reason = _reasons(code, params, len(rows), cfg)
        parts["cust"].append(rows)
        parts["order"].append(np.full(len(rows), order.get(code, 99)))
        parts["points"].append(points)
        parts["factor"].append(np.full(len(rows), code, dtype=object))
        parts["evidence"].append(np.where(evidence.astype(bool), evidence, reason))
        parts["reason"].append(reason)
    long = {k: np.concatenate(v) if v else np.array([]) for k, v in parts.items()}
    cust = long["cust"].astype(np.int64)
    risk = np.bincount(cust, weights=long["points"], minlength=n).astype(float)  # summed in the order fired
    rank = np.lexsort((long["order"], -long["points"], cust))
    long = {k: v[rank] for k, v in long.items()}
    cust = cust[rank]
    start = np.searchsorted(cust, np.arange(n))
    within = np.arange(len(cust)) - start[cust]
    top = np.full(n, "", dtype=object)
    for j in range(int(cfg["top_reasons"])):
        sel = within == j
        text = long["reason"][sel]
        top[cust[sel]] = text if j == 0 else top[cust[sel]] + " + " + text
    cap, bands = float(cfg["risk_cap"]), cfg["bands"]
    health = per_distinct(risk, lambda r: health_from_risk(r, cap)).astype(float)
    band = per_distinct(health, lambda h: band_of(h, bands))
    delta = np.full(n, np.nan)
    if previous is not None and not previous.empty:
        before = previous.drop_duplicates("customer_id", keep="last")
        pos = pd.Index(before["customer_id"]).get_indexer(ids)
        p = pd.to_numeric(before["health_score"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        p = np.where(pos >= 0, p[np.where(pos >= 0, pos, 0)], np.nan)
        ok = np.flatnonzero(~np.isnan(p))
        pairs = pd.DataFrame({"h": health[ok], "p": p[ok]})
        g = pairs.groupby(["h", "p"], sort=False).ngroup().to_numpy()
        uniq = pairs.groupby(g).first()
        delta[ok] = np.array([round(h - float(q), 1) for h, q in zip(uniq["h"], uniq["p"])])[g]
    scores = pd.DataFrame({"customer_id": ids, "as_of": as_of_d, "health_score": health, "risk_points": risk,
                           "health_band": band, "top_reasons": top, "health_delta": delta}, columns=SCORE_COLUMNS)
    if not len(cust):
        return scores, pd.DataFrame([], columns=[*FACTOR_COLUMNS, "reason"])
    factors = pd.DataFrame({"customer_id": ids[cust], "as_of": as_of_d, "factor": long["factor"],
                            "points": long["points"].astype(float), "evidence": long["evidence"],
                            "reason": long["reason"]})
    return scores, factors
