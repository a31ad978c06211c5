"""Per-customer communication trends and ticket patterns as of a date (only data up to as_of)."""
from __future__ import annotations

import json
from datetime import date, datetime

import numpy as np
import pandas as pd

from .config import load_config

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
    cfg = load_config(config)
    tc = cfg["trends"]
    w = int(tc.get("window_days", 30))
    thresholds = list(tc.get("silence_days", [30, 90]))
    min_prior = int(tc.get("min_prior_contacts", 2))
    formal_share = float(tc.get("formal_share", 0.5))
    min_msgs = int(tc.get("min_messages_for_tone", 1))
    per_marker = int(tc.get("evidence_per_marker", 3))
    end = _end_of(as_of)
    as_of_date = pd.Timestamp(as_of).normalize()

    df = signals[signals["customer_id"].notna()].copy()
    df["sent_at"] = _to_ts(df["sent_at"])
    df = df[df["sent_at"].notna() & (df["sent_at"] < end)]
    direction = df["direction"].astype("object")
    inbound = direction.eq("inbound")
    if tc.get("missing_direction_is_inbound", True):
        inbound |= direction.isna() | direction.eq("") | direction.eq("None")
    df = df[inbound.to_numpy()]
    if df.empty:
        return pd.DataFrame(columns=TREND_COLUMNS)

    recent_start = end - pd.Timedelta(days=w)
    prev_start = end - pd.Timedelta(days=2 * w)
    df["_win"] = np.where(df["sent_at"] >= recent_start, "recent",
                          np.where(df["sent_at"] >= prev_start, "previous", "older"))
    rows = []
    for cid, g in df.groupby("customer_id", sort=True):
        rec, prev = g[g["_win"] == "recent"], g[g["_win"] == "previous"]
        tone_recent = float(rec["tone"].mean()) if len(rec) >= min_msgs else np.nan
        tone_prev = float(prev["tone"].mean()) if len(prev) >= min_msgs else np.nan

        def fshare(part: pd.DataFrame) -> float:
            reg = part["register"][part["register"] != "neutral"]
            return float((reg == "formal").mean()) if len(reg) else np.nan

        fr, fp = fshare(rec), fshare(prev)
        formalisation = bool(not np.isnan(fr) and not np.isnan(fp) and fp < formal_share <= fr
                             and (1 - fp) > 0.5)
        row = {
            "customer_id": cid, "as_of": as_of_date.date(), "n_inbound_recent": len(rec),
            "n_inbound_previous": len(prev), "tone_recent": tone_recent, "tone_previous": tone_prev,
            "tone_delta": tone_recent - tone_prev if not (np.isnan(tone_recent) or np.isnan(tone_prev)) else np.nan,
            "negative_recent": int((rec["tone_label"] == "negative").sum()),
            "formal_share_recent": fr, "formal_share_previous": fp, "formalisation": formalisation,
        }
        evidence: dict[str, list[str]] = {}
        for marker, col in MARKER_COLUMNS.items():
            row[f"{marker}_recent"] = int(rec[col].sum()) if col in rec else 0
        names: list[str] = []
        for nm in rec.loc[rec["mentions_competitor"], "competitor_names"] if "competitor_names" in rec else []:
            for n in str(nm).split(";"):
                if n and n not in names:
                    names.append(n)
        row["competitor_names_recent"] = ";".join(names)
        for ev in rec["evidence"]:
            if not ev or ev == "{}":
                continue
            for marker, phrases in json.loads(ev).items():
                bucket = evidence.setdefault(marker, [])
                for ph in phrases:
                    if ph not in bucket and len(bucket) < per_marker:
                        bucket.append(ph)
        row["evidence_recent"] = json.dumps(evidence, ensure_ascii=False)
        first, last = g["sent_at"].min(), g["sent_at"].max()
        silence = int((as_of_date - last.normalize()).days)
        row.update({"first_inbound_at": first, "last_inbound_at": last, "n_inbound_total": len(g),
                    "silence_days": silence})
        active_before = len(g) >= min_prior
        row["silent_30"] = bool(active_before and silence > thresholds[0])
        row["silent_90"] = bool(active_before and len(thresholds) > 1 and silence > thresholds[1])
        rows.append(row)
    return pd.DataFrame(rows, columns=TREND_COLUMNS)


def ticket_patterns(tickets: pd.DataFrame, as_of: date | datetime | str, config: dict | None = None) -> pd.DataFrame:
    """One row per customer from tickets (customer_id, created_at, closed_at, category, reopen_count).

    Over tickets created in the last ``tickets.window_days`` (default 90) up to as_of:
    reopen_rate = share of tickets reopened at least once (flag when > reopen_rate_flag and at least
    min_tickets_for_rate tickets), billing_price_share = share in billing/price categories,
    median_resolution_hours over tickets closed by as_of; tickets_recent = created in the last recent_days.
    A closed_at after as_of is treated as still open.
    """
    cfg = load_config(config)
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
    last_ticket = df.groupby("customer_id")["created_at"].max()
    df = df[df["created_at"] >= end - pd.Timedelta(days=int(tk.get("window_days", 90)))]
    cats = {str(c).strip().lower() for c in tk.get("billing_categories", [])}
    df["_billing"] = df["category"].astype("string").str.strip().str.lower().isin(cats).fillna(False)
    df["_reopened"] = pd.to_numeric(df.get("reopen_count"), errors="coerce").fillna(0) > 0
    df["_hours"] = (df["closed_at"] - df["created_at"]).dt.total_seconds() / 3600.0
    df["_recent"] = df["created_at"] >= end - pd.Timedelta(days=int(tk.get("recent_days", 30)))
    min_n = int(tk.get("min_tickets_for_rate", 3))
    flag = float(tk.get("reopen_rate_flag", 0.30))
    rows = []
    for cid, last in last_ticket.items():
        g = df[df["customer_id"] == cid]
        n = len(g)
        rate = float(g["_reopened"].mean()) if n else np.nan
        rows.append({
            "customer_id": cid, "as_of": as_of_date.date(), "tickets_window": n,
            "tickets_recent": int(g["_recent"].sum()), "reopened_tickets": int(g["_reopened"].sum()),
            "reopen_rate": rate, "reopen_flag": bool(n >= min_n and rate > flag),
            "billing_price_share": float(g["_billing"].mean()) if n else np.nan,
            "median_resolution_hours": float(g["_hours"].median()) if g["_hours"].notna().any() else np.nan,
            "open_tickets": int(g["closed_at"].isna().sum()), "last_ticket_at": last,
        })
    return pd.DataFrame(rows, columns=TICKET_COLUMNS)
