"""Per-customer communication trends and ticket patterns as of a date (only data up to as_of)."""
from __future__ import annotations

import json
import re
from datetime import date, datetime
from typing import Any

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


# ----------------------------------------------------------------------------- reply quality
REPLY_EVENT_COLUMNS = [
    "customer_id", "as_of", "thread_key", "channel", "inbound_message_id", "inbound_at", "inbound_messages",
    "reply_message_id", "reply_channel", "reply_at", "first_reply_minutes", "is_unanswered", "is_pending",
    "reply_templated", "reply_tone", "in_window",
]
CUSTOMER_REPLY_COLUMNS = [
    "customer_id", "as_of", "inbound_turns", "replied_turns", "unanswered_turns", "pending_turns",
    "median_first_reply_minutes", "outbound_messages", "templated_outbound", "templated_share",
    "mean_outbound_tone", "last_unanswered_at",
]
_SIGNATURE = re.compile(r"\n\s*--\s*\n.*\Z", re.DOTALL)
_URL_MAIL = re.compile(r"https?://\S+|\S+@\S+")
_NON_LETTER = re.compile(r"[^\w\s]|\d|_", re.UNICODE)


def template_text(text: Any) -> str:
    """A reply reduced to what a template keeps: no signature, links, digits or punctuation,
    lower case, ё = е, single spaces («Заказ №123 готов!» and «заказ № 98 готов» are one text)."""
    if not isinstance(text, str):
        return ""
    t = _SIGNATURE.sub("", text.replace("\r\n", "\n"))
    t = _URL_MAIL.sub(" ", t.casefold().replace("ё", "е"))
    return " ".join(_NON_LETTER.sub(" ", t).split())


def _minhash_groups(texts: list[str], shingle: int, bands: int, rows: int, seed: int = 17) -> np.ndarray:
    """Group id per text: texts whose MinHash signatures (``bands × rows`` multiply-add hashes of
    the word shingles, minimum per text) agree on a whole band are one group (LSH banding, then
    connected components). Vectorised over all shingles: O(shingles · bands · rows) plus one
    sort per band — never all pairs. Texts shorter than one shingle keep a group of their own."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n = len(texts)
    owner: list[int] = []
    grams: list[str] = []
    for i, text in enumerate(texts):
        words = text.split()
        if len(words) >= shingle:
            found = {" ".join(words[j:j + shingle]) for j in range(len(words) - shingle + 1)}
            owner.extend([i] * len(found))
            grams.extend(found)
    groups = np.arange(n)
    if not grams:
        return groups
    h = pd.util.hash_array(np.array(grams, dtype=object))          # uint64 per shingle
    owner_arr = np.asarray(owner)
    starts = np.flatnonzero(np.r_[True, owner_arr[1:] != owner_arr[:-1]])
    docs = owner_arr[starts]
    rng = np.random.default_rng(seed)
    k = bands * rows
    a = rng.integers(1, 2**63, size=k, dtype=np.uint64) | np.uint64(1)
    b = rng.integers(0, 2**63, size=k, dtype=np.uint64)
    sig = np.empty((len(docs), k), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(k):
            sig[:, j] = np.minimum.reduceat(a[j] * h + b[j], starts)
    left, right = [], []
    for band in range(bands):
        _, inverse = np.unique(sig[:, band * rows:(band + 1) * rows], axis=0, return_inverse=True)
        inverse = inverse.ravel()
        first = np.full(inverse.max() + 1, -1)
        order = np.arange(len(docs))
        first[inverse[::-1]] = order[::-1]                          # first member of each bucket
        left.append(order)
        right.append(first[inverse])
    m = len(docs)
    graph = coo_matrix((np.ones(m * bands), (np.concatenate(left), np.concatenate(right))), shape=(m, m))
    _, labels = connected_components(graph, directed=False)
    groups[docs] = n + labels
    return groups


def templated_flags(texts: pd.Series, cfg: dict) -> np.ndarray:
    """True for an outbound text whose near-duplicates (same normalised text, or the same MinHash
    band) were sent at least ``template_min_count`` times; texts under ``template_min_words`` words
    («Спасибо!») are never templates."""
    norm = texts.map(template_text)
    codes, uniques = pd.factorize(norm)
    counts = np.bincount(codes, minlength=len(uniques)) if len(uniques) else np.zeros(0, int)
    mh = cfg["minhash"]
    groups = _minhash_groups(list(uniques), int(mh["shingle_words"]), int(mh["bands"]), int(mh["rows"])) \
        if mh["enabled"] and len(uniques) else np.arange(len(uniques))
    group_total = pd.Series(counts).groupby(groups).transform("sum").to_numpy() if len(uniques) else counts
    words = np.array([len(u.split()) for u in uniques], dtype=int)
    is_template = (group_total >= int(cfg["template_min_count"])) & (words >= int(cfg["template_min_words"]))
    return is_template[codes] if len(codes) else np.zeros(0, bool)


def _business_minutes(ts: pd.Series, bh: dict) -> np.ndarray:
    """Business minutes from the epoch to each timestamp (working days × the working hours, plus
    today's worked part): the difference of two values is the business time between them."""
    start, end = int(bh["start_hour"]) * 60, int(bh["end_hour"]) * 60
    mask = [d in set(bh["weekdays"]) for d in range(1, 8)]   # ISO weekdays 1 = Monday
    day = ts.dt.normalize().to_numpy().astype("datetime64[D]")
    full_days = np.busday_count(np.datetime64("1970-01-01"), day, weekmask=mask)
    minute = (ts.dt.hour * 60 + ts.dt.minute + ts.dt.second / 60.0).to_numpy()
    worked = np.clip(minute, start, end) - start
    worked = np.where(np.is_busday(day, weekmask=mask), worked, 0.0)
    return full_days * (end - start) + worked


def reply_quality(signals: pd.DataFrame, as_of: date | datetime | str, config: dict | None = None
                  ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Our replies as of a date -> (reply events, per customer).

    A *turn* is a run of inbound messages (``replies.inbound_channels``) of one thread — the chat
    for chats, the customer for mail — up to the next outbound message of the thread
    (``reply_channels``; a call to the customer answers a letter). first_reply_minutes = reply time
    minus the turn's first inbound message (business minutes when ``business_hours.enabled``). A turn
    is unanswered when no reply came within ``unanswered_hours``, pending while that time has not
    passed by the end of the as-of date. One sorted as-of merge per run: O(n log n).
    Per customer over the last ``window_days``: turns, unanswered, median first reply, outbound
    messages, templated ones (``templated_flags``) and their mean tone.
    """
    cfg = load("health", config)["replies"]
    end = _end_of(as_of)
    as_of_d = pd.Timestamp(as_of).normalize().date()
    df = signals[signals["customer_id"].notna()].copy()
    df["sent_at"] = _to_ts(df["sent_at"])
    df = df[df["sent_at"].notna() & (df["sent_at"] < end)]
    thread = df["thread_id"] if "thread_id" in df else pd.Series(None, index=df.index, dtype=object)
    threaded = df["channel"].isin(list(cfg["threaded_channels"])) & thread.notna()
    df["thread_key"] = np.where(threaded, thread.astype(str), "customer:" + df["customer_id"].astype(str))
    direction = df["direction"].astype("object")
    inbound = df[direction.eq("inbound") & df["channel"].isin(list(cfg["inbound_channels"]))]
    outbound = df[direction.eq("outbound") & df["channel"].isin(list(cfg["reply_channels"]))].copy()
    if "is_templated" in outbound:   # flagged when the texts were scored (ml.message_signals)
        outbound["reply_templated"] = outbound["is_templated"].fillna(False).astype(bool)
    else:
        texts = outbound["text"] if "text" in outbound else pd.Series("", index=outbound.index)
        outbound["reply_templated"] = templated_flags(texts, cfg) if len(outbound) else np.zeros(0, bool)
    window_start = end - pd.Timedelta(days=int(cfg["window_days"]))
    if inbound.empty:
        events = pd.DataFrame(columns=REPLY_EVENT_COLUMNS)
    else:
        left = inbound[["customer_id", "thread_key", "channel", "message_id", "sent_at"]].sort_values("sent_at")
        right = outbound[["thread_key", "message_id", "channel", "sent_at", "reply_templated", "tone"]].rename(
            columns={"message_id": "reply_message_id", "channel": "reply_channel", "sent_at": "reply_at",
                     "tone": "reply_tone"}).sort_values("reply_at")
        merged = pd.merge_asof(left, right, left_on="sent_at", right_on="reply_at", by="thread_key",
                               direction="forward", allow_exact_matches=False)
        merged["_turn"] = merged["reply_message_id"].fillna("none:" + merged["thread_key"])
        merged = merged.sort_values(["thread_key", "sent_at", "message_id"])
        size = merged.groupby(["thread_key", "_turn"])["message_id"].transform("size")
        turns = merged.assign(inbound_messages=size).drop_duplicates(["thread_key", "_turn"], keep="first")
        turns = turns.rename(columns={"message_id": "inbound_message_id", "sent_at": "inbound_at"})
        bh = cfg["business_hours"]
        if bh["enabled"]:
            start_min = _business_minutes(turns["inbound_at"], bh)
            reply_min = _business_minutes(turns["reply_at"].fillna(end), bh)
            limit_end = _business_minutes(pd.Series(end, index=turns.index), bh)
            minutes = np.where(turns["reply_at"].notna(), reply_min - start_min, np.nan)
            waited = np.where(turns["reply_at"].notna(), reply_min - start_min, limit_end - start_min)
        else:
            minutes = ((turns["reply_at"] - turns["inbound_at"]).dt.total_seconds() / 60.0).to_numpy()
            waited = np.where(turns["reply_at"].notna(), minutes,
                              ((end - turns["inbound_at"]).dt.total_seconds() / 60.0).to_numpy())
        limit = float(cfg["unanswered_hours"]) * 60.0
        replied_in_time = turns["reply_at"].notna().to_numpy() & (np.nan_to_num(minutes, nan=np.inf) <= limit)
        turns["first_reply_minutes"] = np.round(minutes.astype(float), 1)
        turns["is_unanswered"] = ~replied_in_time & (waited >= limit)
        turns["is_pending"] = ~replied_in_time & (waited < limit)
        turns["reply_templated"] = turns["reply_templated"].astype("boolean")
        turns["in_window"] = (turns["inbound_at"] >= window_start).to_numpy()
        turns["as_of"] = as_of_d
        events = turns[REPLY_EVENT_COLUMNS].sort_values(["customer_id", "inbound_at", "inbound_message_id"])
        events = events.reset_index(drop=True)
    return events, _customer_replies(events, outbound, window_start, as_of_d)


def _customer_replies(events: pd.DataFrame, outbound: pd.DataFrame, window_start: pd.Timestamp,
                      as_of_d: date) -> pd.DataFrame:
    recent = events[events["in_window"].astype(bool)] if len(events) else events
    out_recent = outbound[outbound["sent_at"] >= window_start]
    if recent.empty and out_recent.empty:
        return pd.DataFrame(columns=CUSTOMER_REPLY_COLUMNS)
    g = recent.groupby("customer_id")
    per = pd.DataFrame({
        "inbound_turns": g.size(),
        "replied_turns": g["reply_at"].count(),
        "unanswered_turns": g["is_unanswered"].sum(),
        "pending_turns": g["is_pending"].sum(),
        "median_first_reply_minutes": g["first_reply_minutes"].median(),
        "last_unanswered_at": recent[recent["is_unanswered"].astype(bool)].groupby("customer_id")["inbound_at"].max(),
    }) if len(recent) else pd.DataFrame()
    go = out_recent.groupby("customer_id")
    outs = pd.DataFrame({
        "outbound_messages": go.size(),
        "templated_outbound": go["reply_templated"].sum(),
        "mean_outbound_tone": go["tone"].mean(),
    }) if len(out_recent) else pd.DataFrame()
    res = per.join(outs, how="outer") if len(per) and len(outs) else (per if len(per) else outs)
    res = res.reindex(columns=[c for c in CUSTOMER_REPLY_COLUMNS if c not in ("customer_id", "as_of")])
    for col in ("inbound_turns", "replied_turns", "unanswered_turns", "pending_turns", "outbound_messages",
                "templated_outbound"):
        res[col] = pd.to_numeric(res[col], errors="coerce").fillna(0).astype(int)
    with np.errstate(invalid="ignore", divide="ignore"):
        res["templated_share"] = np.where(res["outbound_messages"] > 0,
                                          res["templated_outbound"] / res["outbound_messages"].where(
                                              res["outbound_messages"] > 0, 1), np.nan)
    res["mean_outbound_tone"] = res["mean_outbound_tone"].astype(float).round(3)
    res = res.reset_index().rename(columns={"index": "customer_id"})
    res["as_of"] = as_of_d
    return res[CUSTOMER_REPLY_COLUMNS].sort_values("customer_id").reset_index(drop=True)
