"""Per-customer communication trends and ticket patterns as of a date (only data up to as_of)."""
from __future__ import annotations

import json
from datetime import date, datetime

import numpy as np
import pandas as pd

from clientpulse_config import load

MARKER_COLUMNS = {
    "passive_aggressive": "is_passive_aggressive", "ultimatum": "is_ultimatum", "competitor": "mentions_competitor",
    "data_export": "asks_data_export", "price_complaint": "price_complaint",
    "billing_complaint": "billing_complaint", "refund_request": "refund_request",
}

TREND_COLUMNS = [
    "customer_id", "as_of", "n_inbound_recent", "n_inbound_previous", "tone_recent", "tone_previous", "tone_delta",
    "negative_recent", "formal_share_recent", "formal_share_previous", "formalisation",
    *[f"{m}_recent" for m in MARKER_COLUMNS], "competitor_names_recent", "evidence_recent",
    "first_inbound_at", "last_inbound_at", "n_inbound_total", "silence_days", "silent_30", "silent_90",
]
TICKET_COLUMNS = [
    "customer_id", "as_of", "tickets_window", "tickets_recent", "reopened_tickets", "reopen_rate", "reopen_flag",
    "billing_price_share", "median_resolution_hours", "open_tickets", "last_ticket_at",
]


def _to_ts(values: pd.Series) -> pd.Series:
    """Timestamps from mixed inputs (date-only and date-time strings in one column); bad values -> NaT."""
    if not pd.api.types.is_datetime64_any_dtype(values):
        values = pd.to_datetime(values, errors="coerce", format="mixed", utc=True)
    if getattr(values.dt, "tz", None) is not None:     # compare in naive UTC
        values = values.dt.tz_convert("UTC").dt.tz_localize(None)
    return values


def _end_of(as_of: date | datetime | str) -> pd.Timestamp:
    """Exclusive upper bound: everything strictly before the day after as_of."""
    ts = pd.Timestamp(as_of)
    return ts.normalize() + pd.Timedelta(days=1)


def customer_trends(signals: pd.DataFrame, as_of: date | datetime | str, config: dict | None = None) -> pd.DataFrame:
    """One row per customer from score_messages output (rows with a customer_id, sent_at <= as_of).

    Windows (window_days = W, default 30): recent = (as_of - W, as_of], previous = (as_of - 2W, as_of - W].
    Tone is the mean tone of inbound messages (missing direction counts as inbound by default).
    formalisation: the previous window was mostly informal and the recent one mostly formal (shares over
    messages whose register is not neutral). silence_days: days from the last inbound contact to as_of;
    silent_30 / silent_90 only for customers with >= min_prior_contacts inbound contacts.
    """
    cfg = load("signals", config)
    tc = cfg["trends"]
    w = int(tc["window_days"])
    thresholds = list(tc["silence_days"])
    min_prior = int(tc["min_prior_contacts"])
    formal_share = float(tc["formal_share"])
    min_msgs = int(tc["min_messages_for_tone"])
    per_marker = int(tc["evidence_per_marker"])
    end = _end_of(as_of)
    as_of_date = pd.Timestamp(as_of).normalize()

    df = signals[signals["customer_id"].notna()].copy()
    df["sent_at"] = _to_ts(df["sent_at"])
    df = df[df["sent_at"].notna() & (df["sent_at"] < end)]
    direction = df["direction"].astype("object")
    inbound = direction.eq("inbound")
    if tc["missing_direction_is_inbound"]:
        inbound |= direction.isna() | direction.eq("") | direction.eq("None")
    df = df[inbound.to_numpy()]
    if df.empty:
        return pd.DataFrame(columns=TREND_COLUMNS)

    recent_start = end - pd.Timedelta(days=w)
    prev_start = end - pd.Timedelta(days=2 * w)
    recent = (df["sent_at"] >= recent_start).to_numpy()
    previous = ((df["sent_at"] >= prev_start) & ~recent).to_numpy()
    register = df["register"].astype("object")
    informative = register.ne("neutral").to_numpy()
    formal = register.eq("formal").to_numpy()
    negative = df["tone_label"].eq("negative").to_numpy()
    tone = pd.to_numeric(df["tone"], errors="coerce").to_numpy(dtype=float)
    # one grouped pass over per-message indicator columns instead of a Python loop per customer
    parts = {"n_rec": recent, "n_prev": previous, "tone_rec": np.where(recent, tone, 0.0),
             "tone_prev": np.where(previous, tone, 0.0), "neg_rec": recent & negative,
             "reg_rec": recent & informative, "formal_rec": recent & formal & informative,
             "reg_prev": previous & informative, "formal_prev": previous & formal & informative}
    for marker, col in MARKER_COLUMNS.items():
        parts[marker] = recent & (df[col].fillna(False).astype(bool).to_numpy() if col in df else False)
    ind = pd.DataFrame(parts, index=df.index).astype(float)
    codes, customer_ids = pd.factorize(df["customer_id"], sort=True)
    ind["_code"] = codes
    ind["sent_at"] = df["sent_at"].to_numpy()
    g = ind.groupby("_code", sort=True)
    sums = g[list(parts)].sum()
    first, last, total = g["sent_at"].min(), g["sent_at"].max(), g.size()

    n_rec, n_prev = sums["n_rec"].astype(int), sums["n_prev"].astype(int)
    with np.errstate(invalid="ignore", divide="ignore"):
        tone_recent = np.where(n_rec >= min_msgs, sums["tone_rec"] / n_rec.where(n_rec > 0, 1), np.nan)
        tone_prev = np.where(n_prev >= min_msgs, sums["tone_prev"] / n_prev.where(n_prev > 0, 1), np.nan)
        fr = np.where(sums["reg_rec"] > 0, sums["formal_rec"] / sums["reg_rec"], np.nan)
        fp = np.where(sums["reg_prev"] > 0, sums["formal_prev"] / sums["reg_prev"], np.nan)
    formalisation = ~np.isnan(fr) & ~np.isnan(fp) & (fp < formal_share) & (formal_share <= fr) & ((1 - fp) > 0.5)
    silence = (as_of_date - last.dt.normalize()).dt.days.astype(int)
    active_before = total >= min_prior
    out = pd.DataFrame({
        "customer_id": customer_ids[sums.index.to_numpy()], "as_of": as_of_date.date(), "n_inbound_recent": n_rec.to_numpy(),
        "n_inbound_previous": n_prev.to_numpy(), "tone_recent": tone_recent, "tone_previous": tone_prev,
        "tone_delta": tone_recent - tone_prev, "negative_recent": sums["neg_rec"].astype(int).to_numpy(),
        "formal_share_recent": fr, "formal_share_previous": fp, "formalisation": formalisation.astype(bool),
        **{f"{m}_recent": sums[m].astype(int).to_numpy() for m in MARKER_COLUMNS},
    })
    names, evidence = _recent_evidence(df[recent], per_marker)
    out["competitor_names_recent"] = out["customer_id"].map(names).fillna("")
    out["evidence_recent"] = out["customer_id"].map(evidence).fillna("{}")
    out["first_inbound_at"] = first.to_numpy()
    out["last_inbound_at"] = last.to_numpy()
    out["n_inbound_total"] = total.to_numpy()
    out["silence_days"] = silence.to_numpy()
    out["silent_30"] = (active_before & (silence > thresholds[0])).to_numpy()
    long_silence = (silence > thresholds[1]) if len(thresholds) > 1 else False
    out["silent_90"] = (active_before & long_silence).to_numpy()
    return out[TREND_COLUMNS]


def _recent_evidence(rec: pd.DataFrame, per_marker: int) -> tuple[dict, dict]:
    """Competitor names and up to ``per_marker`` evidence phrases per marker, per customer, in
    message order. Only messages that carry either are visited (a small share of the recent ones)."""
    names: dict[str, list[str]] = {}
    evidence: dict[str, dict[str, list[str]]] = {}
    if "competitor_names" in rec:
        hits = rec[rec["mentions_competitor"].fillna(False).astype(bool)]
        for cid, value in zip(hits["customer_id"], hits["competitor_names"]):
            bucket = names.setdefault(cid, [])
            for n in str(value).split(";"):
                if n and n not in bucket:
                    bucket.append(n)
    has_ev = rec["evidence"].notna() & ~rec["evidence"].isin(["", "{}"])
    for cid, ev in zip(rec.loc[has_ev, "customer_id"], rec.loc[has_ev, "evidence"]):
        per_customer = evidence.setdefault(cid, {})
        for marker, phrases in json.loads(ev).items():
            bucket = per_customer.setdefault(marker, [])
            for ph in phrases:
                if ph not in bucket and len(bucket) < per_marker:
                    bucket.append(ph)
    return ({c: ";".join(v) for c, v in names.items()},
            {c: json.dumps(v, ensure_ascii=False) for c, v in evidence.items()})


def ticket_patterns(tickets: pd.DataFrame, as_of: date | datetime | str, config: dict | None = None) -> pd.DataFrame:
    """One row per customer from tickets (customer_id, created_at, closed_at, category, reopen_count).

    Over tickets created in the last ``tickets.window_days`` (default 90) up to as_of:
    reopen_rate = share of tickets reopened at least once (flag when > reopen_rate_flag and at least
    min_tickets_for_rate tickets), billing_price_share = share in billing/price categories,
    median_resolution_hours over tickets closed by as_of; tickets_recent = created in the last recent_days.
    A closed_at after as_of is treated as still open.
    """
    cfg = load("signals", config)
    tk = cfg["tickets"]
    end = _end_of(as_of)
    as_of_date = pd.Timestamp(as_of).normalize()
    df = tickets[tickets["customer_id"].notna()].copy()
    if df.empty:
        return pd.DataFrame(columns=TICKET_COLUMNS)
    df["created_at"] = _to_ts(df["created_at"])
    df["closed_at"] = _to_ts(df["closed_at"]) if "closed_at" in df else pd.NaT
    df = df[df["created_at"].notna() & (df["created_at"] < end)]
    df.loc[df["closed_at"] >= end, "closed_at"] = pd.NaT
    # group on integer codes: factorising the text ids once is most of the grouping cost
    codes, customer_ids = pd.factorize(df["customer_id"], sort=True)
    df["_code"] = codes
    last_ticket = df.groupby("_code")["created_at"].max()
    df = df[df["created_at"] >= end - pd.Timedelta(days=int(tk["window_days"]))]
    cats = {str(c).strip().lower() for c in tk["billing_categories"]}
    df["_billing"] = df["category"].astype("string").str.strip().str.lower().isin(cats).fillna(False)
    df["_reopened"] = pd.to_numeric(df.get("reopen_count"), errors="coerce").fillna(0) > 0
    df["_hours"] = (df["closed_at"] - df["created_at"]).dt.total_seconds() / 3600.0
    df["_recent"] = df["created_at"] >= end - pd.Timedelta(days=int(tk["recent_days"]))
    min_n = int(tk["min_tickets_for_rate"])
    flag = float(tk["reopen_rate_flag"])
    df["_open"] = df["closed_at"].isna()
    g = df.groupby("_code")
    # customers whose tickets all fall before the window keep a row with zero counts
    out = pd.DataFrame({
        "tickets_window": g.size(), "tickets_recent": g["_recent"].sum(),
        "reopened_tickets": g["_reopened"].sum(), "reopen_rate": g["_reopened"].mean(),
        "billing_price_share": g["_billing"].mean(), "median_resolution_hours": g["_hours"].median(),
        "open_tickets": g["_open"].sum(),
    }).reindex(last_ticket.index)
    for col in ("tickets_window", "tickets_recent", "reopened_tickets", "open_tickets"):
        out[col] = out[col].fillna(0).astype(int)
    for col in ("reopen_rate", "billing_price_share", "median_resolution_hours"):
        out[col] = out[col].astype(float)
    out["reopen_flag"] = (out["tickets_window"] >= min_n) & (out["reopen_rate"] > flag)
    out["last_ticket_at"] = last_ticket
    out["as_of"] = as_of_date.date()
    out["customer_id"] = customer_ids[out.index.to_numpy()]
    return out.reset_index(drop=True)[TICKET_COLUMNS]
