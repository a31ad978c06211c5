"""Point-in-time customer features for clusters, churn and toxicity models.

``build_features(data, cutoff, config)`` returns one row per customer known strictly before the
cutoff, computed only from rows whose time stamp is strictly before the cutoff (tickets also need
``closed_at`` before the cutoff for their handling minutes / reopen counts to be used).
``assert_no_leakage`` proves it by perturbing every post-cutoff row.

Everything is vectorised over integer customer codes (``np.bincount`` / sorted groupby), so 1M
customers and 10M orders take seconds, not minutes.
"""
from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Callable, Mapping

import numpy as np
import pandas as pd

from ml import btyd

__all__ = ["load_config", "build_features", "assert_no_leakage", "LeakageError", "FEATURE_LABELS",
           "feature_label", "model_feature_columns", "TIME_COLUMNS"]

CONFIG_PATH = Path(__file__).resolve().parent.parent / "config" / "models.yaml"
DAY_NS = 86_400 * 10**9
MONTH_DAYS = 30.4375

# table -> columns holding event time (a row is "after the cutoff" when any of them is >= cutoff)
TIME_COLUMNS: dict[str, list[str]] = {
    "orders": ["order_date"],
    "tickets": ["created_at", "closed_at"],
    "events": ["occurred_at"],
    "calls": ["started_at"],
    "messages": ["sent_at"],
    "customers": ["first_seen_at"],
}
# columns whose value is only known at the secondary time (e.g. a ticket's handling time at closing)
LATE_COLUMNS: dict[str, list[str]] = {"tickets": ["handling_minutes", "reopen_count"]}
EVENT_TYPES = ["email_open", "email_click", "site_visit", "product_view", "cart_abandon", "unsubscribe"]

FEATURE_LABELS: dict[str, tuple[str, str]] = {
    "recency_days": ("Дней с последней покупки", "Days since last purchase"),
    "frequency": ("Число покупок", "Number of purchases"),
    "monetary_total": ("Сумма покупок", "Total spend"),
    "monetary_avg": ("Средний чек", "Average order value"),
    "tenure_days": ("Срок жизни клиента, дней", "Tenure, days"),
    "ipi_mean": ("Средний интервал между покупками", "Mean inter-purchase interval"),
    "ipi_median": ("Медианный интервал между покупками", "Median inter-purchase interval"),
    "cycle_lateness": ("Опоздание относительно цикла", "Lateness vs usual purchase cycle"),
    "r_score": ("R-балл", "R score"),
    "f_score": ("F-балл", "F score"),
    "m_score": ("M-балл", "M score"),
    "purchases_90d": ("Покупок за 90 дней", "Purchases in last 90 days"),
    "spend_90d": ("Сумма за 90 дней", "Spend in last 90 days"),
    "complaints_per_month": ("Жалоб в месяц", "Complaints per month"),
    "complaints_90d": ("Жалоб за 90 дней", "Complaints in last 90 days"),
    "manager_minutes_per_month": ("Минут менеджера в месяц", "Manager minutes per month"),
    "manager_minutes_90d": ("Минут менеджера за 90 дней", "Manager minutes in last 90 days"),
    "call_count": ("Число звонков", "Number of calls"),
    "ticket_count": ("Число обращений", "Number of tickets"),
    "tickets_90d": ("Обращений за 90 дней", "Tickets in last 90 days"),
    "reopen_rate": ("Доля переоткрытых обращений", "Ticket reopen rate"),
    "price_ticket_share": ("Доля обращений о цене/оплате", "Share of billing/price tickets"),
    "tone_mean": ("Средний тон переписки", "Mean message tone"),
    "tone_delta": ("Изменение тона (последние 30 дней)", "Recent tone change"),
    "message_count": ("Число писем", "Number of messages"),
    "discount_share": ("Доля покупок со скидкой", "Share of discounted orders"),
    "discount_depth": ("Средняя глубина скидки", "Average discount depth"),
    "first_purchase_discount": ("Первая покупка со скидкой", "First purchase with discount"),
    "returns_share": ("Доля возвратов", "Returns share"),
    "cancel_share": ("Доля отмен", "Cancellation share"),
    "n_categories": ("Число категорий", "Number of categories"),
    "top_category_share": ("Доля главной категории", "Top category share"),
    "engagement_30d": ("Активность за 30 дней", "Engagement in last 30 days"),
    "engagement_90d": ("Активность за 90 дней", "Engagement in last 90 days"),
    "unsubscribed": ("Отписался от рассылки", "Unsubscribed"),
    "has_purchase": ("Есть покупки", "Has purchases"),
    "days_since_last_contact": ("Дней с последнего контакта", "Days since last contact"),
    "p_alive": ("Вероятность «жив» (BG/NBD)", "P(alive), BG/NBD"),
    "btyd_expected_purchases": ("Ожидаемые покупки (BG/NBD)", "Expected purchases, BG/NBD"),
    "btyd_p_no_purchase": ("P(нет покупок в горизонте), BG/NBD", "P(no purchase in horizon), BG/NBD"),
}
_EVENT_RU = {"email_open": "открытий писем", "email_click": "кликов в письмах", "site_visit": "визитов на сайт",
             "product_view": "просмотров товаров", "cart_abandon": "брошенных корзин", "unsubscribe": "отписок"}
for _e in EVENT_TYPES:
    for _w in (30, 90):
        FEATURE_LABELS[f"{_e}_{_w}d"] = (f"{_EVENT_RU[_e].capitalize()} за {_w} дней",
                                        f"{_e.replace('_', ' ').capitalize()}s in last {_w} days")


def feature_label(name: str, lang: str = "ru") -> str:
    if name.startswith("cat_share__"):
        cat = name[len("cat_share__"):]
        return f"Доля категории «{cat}»" if lang == "ru" else f"Share of category '{cat}'"
    ru, en = FEATURE_LABELS.get(name, (name, name))
    return ru if lang == "ru" else en


def load_config(path: str | Path | None = None) -> dict:
    import yaml

    with open(path or CONFIG_PATH, encoding="utf-8") as fh:
        return yaml.safe_load(fh) or {}


def _cfg(config: Mapping | None) -> dict:
    if config is None:
        return load_config()
    return dict(config)


# ----------------------------------------------------------------------------------- helpers
def _to_ns(values) -> np.ndarray:
    """datetime-like column -> int64 ns (NaT -> min int)."""
    s = pd.Series(values)
    if not pd.api.types.is_datetime64_any_dtype(s):
        s = pd.to_datetime(s, errors="coerce", format="mixed")
    if getattr(s.dt, "tz", None) is not None:
        s = s.dt.tz_convert(None)
    return s.to_numpy(dtype="datetime64[ns]").astype(np.int64)


NAT = np.iinfo(np.int64).min


def _cut_ns(cutoff) -> int:
    ts = pd.Timestamp(cutoff.isoformat() if isinstance(cutoff, (date, datetime)) else cutoff)
    if ts.tzinfo is not None:
        ts = ts.tz_convert(None)
    return int(ts.value)


def _table(data: Mapping, name: str, cols: list[str]) -> pd.DataFrame:
    df = data.get(name) if data is not None else None
    if df is None or not isinstance(df, pd.DataFrame) or "customer_id" not in df.columns:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in ["customer_id", *cols]})
    return df


def _col(df: pd.DataFrame, name: str, default=np.nan) -> pd.Series:
    if name in df.columns:
        return df[name]
    return pd.Series(default, index=df.index)


def _before(df: pd.DataFrame, time_col: str, cut: int) -> tuple[pd.DataFrame, np.ndarray]:
    if time_col not in df.columns or len(df) == 0:
        return df.iloc[0:0], np.zeros(0, dtype=np.int64)
    t = _to_ns(df[time_col])
    m = (t != NAT) & (t < cut)
    return df.loc[m], t[m]


def _ids(df: pd.DataFrame) -> np.ndarray:
    c = df["customer_id"]
    if pd.api.types.is_object_dtype(c.dtype) and (len(c) == 0 or isinstance(c.iloc[0], str)):
        return c.to_numpy(dtype=object)
    return c.astype(str).to_numpy(dtype=object)


def _bincount(codes: np.ndarray, n: int, weights=None) -> np.ndarray:
    if len(codes) == 0:
        return np.zeros(n)
    return np.bincount(codes, weights=weights, minlength=n).astype(float)


def _group_max(codes: np.ndarray, vals: np.ndarray, n: int, fill) -> np.ndarray:
    out = np.full(n, fill, dtype=vals.dtype if len(vals) else np.int64)
    if len(codes):
        np.maximum.at(out, codes, vals) if len(codes) < 50_000 else _sorted_reduce(out, codes, vals, "max")
    return out


def _group_min(codes: np.ndarray, vals: np.ndarray, n: int, fill) -> np.ndarray:
    out = np.full(n, fill, dtype=vals.dtype if len(vals) else np.int64)
    if len(codes):
        np.minimum.at(out, codes, vals) if len(codes) < 50_000 else _sorted_reduce(out, codes, vals, "min")
    return out


def _sorted_reduce(out, codes, vals, how):
    s = pd.Series(vals).groupby(codes, sort=False)
    r = s.max() if how == "max" else s.min()
    idx = r.index.to_numpy()
    out[idx] = (np.maximum if how == "max" else np.minimum)(out[idx], r.to_numpy())


def _discount_fraction(discount: pd.Series, amount: pd.Series) -> np.ndarray:
    d = pd.to_numeric(discount, errors="coerce").to_numpy(float)
    a = pd.to_numeric(amount, errors="coerce").to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        # share 0..1 as is; > 1 is an amount: share of the pre-discount price
        frac = np.where(d > 1, d / (a + d), d)
    return np.nan_to_num(np.clip(frac, 0, 1), nan=0.0)


# ----------------------------------------------------------------------------------- features
def build_features(data: Mapping[str, pd.DataFrame], cutoff, config: Mapping | None = None,
                   categories: list[str] | None = None, btyd_params: dict | None = None) -> pd.DataFrame:
    """One row per customer known strictly before ``cutoff`` (see module doc).

    ``categories`` fixes the category-mix columns (a trained model passes its own list; otherwise
    the ``category_top_n`` most frequent pre-cutoff categories).  ``btyd_params`` reuses fitted
    BG/NBD parameters instead of refitting at this cutoff.
    """
    cfg = _cfg(config)
    fcfg = dict(cfg.get("features", {}))
    seed = int(cfg.get("random_state", 42))
    cut = _cut_ns(cutoff)
    cut_day = cut // DAY_NS
    rate_window = float(fcfg.get("rate_window_days", 365))
    tone_recent = float(fcfg.get("tone_recent_days", 30))

    orders, o_t = _before(_table(data, "orders", ["order_date", "amount", "status"]), "order_date", cut)
    tickets, k_t = _before(_table(data, "tickets", ["created_at"]), "created_at", cut)
    events, e_t = _before(_table(data, "events", ["occurred_at", "event_type"]), "occurred_at", cut)
    calls, c_t = _before(_table(data, "calls", ["started_at"]), "started_at", cut)
    messages, m_t = _before(_table(data, "messages", ["sent_at"]), "sent_at", cut)
    customers, cu_t = _before(_table(data, "customers", ["first_seen_at"]), "first_seen_at", cut)

    # universe: everybody with any pre-cutoff row; one sorted factorize over all tables' ids
    tables = (customers, orders, tickets, events, calls, messages)
    id_arrays = [_ids(df) for df in tables]
    all_codes, uniq = pd.factorize(np.concatenate(id_arrays) if id_arrays else np.array([], object), sort=True)
    ids = pd.Index(uniq)
    n = len(ids)
    bounds = np.cumsum([0] + [len(a) for a in id_arrays])
    code_of = {id(df): all_codes[bounds[i]:bounds[i + 1]] for i, df in enumerate(tables)}

    def codes(df):
        return code_of[id(df)]

    out: dict[str, np.ndarray] = {}

    # first seen: min over customers.first_seen_at and all activity
    first_ns = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    last_contact = np.full(n, NAT, dtype=np.int64)
    for df, t in ((customers, cu_t), (orders, o_t), (tickets, k_t), (events, e_t), (calls, c_t), (messages, m_t)):
        if len(df):
            cd = codes(df)
            first_ns = np.minimum(first_ns, _group_min(cd, t, n, np.iinfo(np.int64).max))
            if df is not customers and df is not orders:
                last_contact = np.maximum(last_contact, _group_max(cd, t, n, NAT))
    tenure = (cut - first_ns) / DAY_NS
    out["tenure_days"] = tenure
    months = np.clip(np.minimum(tenure, rate_window), MONTH_DAYS, None) / MONTH_DAYS
    win_start = cut - int(rate_window * DAY_NS)

    # ---------------------------------------------------------------- orders
    status = _col(orders, "status", "completed").fillna("completed").astype(str).str.lower().to_numpy()
    amount = pd.to_numeric(_col(orders, "amount", 0.0), errors="coerce").fillna(0.0).to_numpy(float)
    oc = codes(orders)
    completed = status == "completed"
    returned = np.isin(status, ["returned", "refunded"])
    n_all = _bincount(oc, n)
    out["returns_share"] = np.divide(_bincount(oc[returned], n), n_all, out=np.zeros(n), where=n_all > 0)
    out["cancel_share"] = np.divide(_bincount(oc[status == "cancelled"], n), n_all, out=np.zeros(n), where=n_all > 0)

    cc, ct, ca = oc[completed], o_t[completed], amount[completed]
    freq = _bincount(cc, n)
    tot = _bincount(cc, n, ca)
    out["frequency"] = freq
    out["has_purchase"] = (freq > 0).astype(float)
    out["monetary_total"] = tot
    out["monetary_avg"] = np.divide(tot, freq, out=np.zeros(n), where=freq > 0)
    last_buy = _group_max(cc, ct, n, NAT)
    rec = np.where(freq > 0, (cut - last_buy) / DAY_NS, tenure)  # never bought: time since first seen
    out["recency_days"] = rec
    recent = ct >= cut - 90 * DAY_NS
    out["purchases_90d"] = _bincount(cc[recent], n)
    out["spend_90d"] = _bincount(cc[recent], n, ca[recent])

    # inter-purchase intervals over distinct purchase days
    ipi_mean = np.full(n, np.nan)
    ipi_median = np.full(n, np.nan)
    if len(cc):
        day = ct // DAY_NS
        dd = pd.DataFrame({"c": cc, "d": day}).drop_duplicates().sort_values(["c", "d"], kind="stable")
        c_arr, d_arr = dd["c"].to_numpy(), dd["d"].to_numpy()
        same = np.r_[False, c_arr[1:] == c_arr[:-1]]
        gaps = np.diff(d_arr, prepend=0)[same].astype(float)
        gc = c_arr[same]
        if len(gc):
            g = pd.Series(gaps).groupby(gc)
            med = g.median()
            ipi_median[med.index.to_numpy()] = med.to_numpy()
            cnt = _bincount(gc, n)
            ipi_mean = np.where(cnt > 0, _bincount(gc, n, gaps) / np.maximum(cnt, 1), np.nan)
    out["ipi_mean"] = ipi_mean
    out["ipi_median"] = ipi_median
    with np.errstate(divide="ignore", invalid="ignore"):
        out["cycle_lateness"] = np.where(ipi_median > 0, rec / np.maximum(ipi_median, 1.0), np.nan)

    # discounts: share of completed orders with a discount, depth, first purchase with discount
    disc = _discount_fraction(_col(orders, "discount"), _col(orders, "amount"))[completed]
    out["discount_share"] = np.divide(_bincount(cc[disc > 0], n), freq, out=np.zeros(n), where=freq > 0)
    out["discount_depth"] = np.divide(_bincount(cc, n, disc), freq, out=np.zeros(n), where=freq > 0)
    first_disc = np.zeros(n)
    if len(cc):
        fo = pd.DataFrame({"c": cc, "t": ct, "d": disc}).sort_values(["c", "t"], kind="stable").drop_duplicates("c")
        first_disc[fo["c"].to_numpy()] = (fo["d"].to_numpy() > 0).astype(float)
    out["first_purchase_discount"] = first_disc

    # category mix
    cat = _col(orders, "category", None)[completed].astype("string").fillna("").to_numpy()
    has_cat = cat != ""
    if categories is None:
        top_n = int(fcfg.get("category_top_n", 5))
        categories = list(pd.Series(cat[has_cat]).value_counts().head(top_n).index) if has_cat.any() else []
    ncat = np.zeros(n)
    topshare = np.zeros(n)
    if has_cat.any():
        cdf = pd.DataFrame({"c": cc[has_cat], "k": cat[has_cat]})
        per = cdf.groupby(["c", "k"], sort=False).size()
        pc = per.groupby(level=0)
        ncat[pc.size().index.to_numpy()] = pc.size().to_numpy()
        mx = pc.max()
        ncat_tot = _bincount(cdf["c"].to_numpy(), n)
        topshare[mx.index.to_numpy()] = mx.to_numpy() / ncat_tot[mx.index.to_numpy()]
    out["n_categories"] = ncat
    out["top_category_share"] = topshare
    for k in categories:
        m = cat == k
        out[f"cat_share__{k}"] = np.divide(_bincount(cc[m], n), freq, out=np.zeros(n), where=freq > 0)

    # ---------------------------------------------------------------- tickets & calls: complaints, manager time
    kc = codes(tickets)
    closed_t = _to_ns(_col(tickets, "closed_at", pd.NaT)) if len(tickets) else np.zeros(0, np.int64)
    # handling minutes / reopen counts are known only once the ticket is closed (or still open)
    known = (closed_t == NAT) | (closed_t < cut)
    is_compl = _col(tickets, "is_complaint", False).fillna(False).astype(bool).to_numpy()
    reopen = pd.to_numeric(_col(tickets, "reopen_count", 0), errors="coerce").fillna(0).to_numpy(float)
    handling = pd.to_numeric(_col(tickets, "handling_minutes", 0), errors="coerce").fillna(0).to_numpy(float)
    handling = np.where(known, handling, 0.0)
    tcat = _col(tickets, "category", "").astype("string").fillna("").str.lower().to_numpy()
    in_win_k = k_t >= win_start
    in90_k = k_t >= cut - 90 * DAY_NS
    n_tk = _bincount(kc, n)
    out["ticket_count"] = n_tk
    out["tickets_90d"] = _bincount(kc[in90_k], n)
    out["reopen_rate"] = np.divide(_bincount(kc[known & (reopen > 0)], n), _bincount(kc[known], n),
                                   out=np.zeros(n), where=_bincount(kc[known], n) > 0)
    price = np.char.find(tcat.astype(str), "price") >= 0
    price |= np.isin(tcat, ["billing", "price", "payment", "оплата", "цена", "биллинг"])
    out["price_ticket_share"] = np.divide(_bincount(kc[price], n), n_tk, out=np.zeros(n), where=n_tk > 0)

    compl_win = _bincount(kc[is_compl & in_win_k], n)
    compl_90 = _bincount(kc[is_compl & in90_k], n)
    if fcfg.get("complaints_include_returns", True) and len(oc):
        rw = returned & (o_t >= win_start)
        compl_win += _bincount(oc[rw], n)
        compl_90 += _bincount(oc[returned & (o_t >= cut - 90 * DAY_NS)], n)
    out["complaints_per_month"] = compl_win / months
    out["complaints_90d"] = compl_90

    clc = codes(calls)
    dur = pd.to_numeric(_col(calls, "duration_sec", 0), errors="coerce").fillna(0).to_numpy(float) / 60.0
    in_win_c = c_t >= win_start
    mins_win = _bincount(clc[in_win_c], n, dur[in_win_c]) + _bincount(kc[in_win_k], n, handling[in_win_k])
    out["manager_minutes_per_month"] = mins_win / months
    in90_c = c_t >= cut - 90 * DAY_NS
    out["manager_minutes_90d"] = _bincount(clc[in90_c], n, dur[in90_c]) + _bincount(kc[in90_k], n, handling[in90_k])
    out["call_count"] = _bincount(clc, n)

    # ---------------------------------------------------------------- engagement
    ec = codes(events)
    et = _col(events, "event_type", "").astype("string").fillna("").str.lower().to_numpy()
    eng30 = np.zeros(n)
    eng90 = np.zeros(n)
    for w in fcfg.get("engagement_windows", [30, 90]):
        inw = e_t >= cut - int(w) * DAY_NS
        for e in EVENT_TYPES:
            v = _bincount(ec[inw & (et == e)], n)
            out[f"{e}_{int(w)}d"] = v
            if e in ("email_open", "email_click", "site_visit", "product_view"):
                if int(w) == 30:
                    eng30 += v
                elif int(w) == 90:
                    eng90 += v
    out["engagement_30d"] = eng30
    out["engagement_90d"] = eng90
    out["unsubscribed"] = (_bincount(ec[et == "unsubscribe"], n) > 0).astype(float)
    out["days_since_last_contact"] = np.where(last_contact != NAT, (cut - last_contact) / DAY_NS, tenure)

    # ---------------------------------------------------------------- tone
    mc = codes(messages)
    tone = pd.to_numeric(_col(messages, "tone"), errors="coerce").to_numpy(float)
    direction = _col(messages, "direction", "inbound").astype("string").fillna("inbound").str.lower().to_numpy()
    inbound = ~np.isin(direction, ["outbound", "out", "outgoing", "исходящее"])
    ok = np.isfinite(tone) & inbound
    out["message_count"] = _bincount(mc, n)
    nt = _bincount(mc[ok], n)
    out["tone_mean"] = np.divide(_bincount(mc[ok], n, tone[ok]), nt, out=np.full(n, np.nan), where=nt > 0)
    rec_m = ok & (m_t >= cut - int(tone_recent * DAY_NS))
    old_m = ok & ~rec_m
    nr, no = _bincount(mc[rec_m], n), _bincount(mc[old_m], n)
    tr = np.divide(_bincount(mc[rec_m], n, tone[rec_m]), nr, out=np.full(n, np.nan), where=nr > 0)
    to = np.divide(_bincount(mc[old_m], n, tone[old_m]), no, out=np.full(n, np.nan), where=no > 0)
    out["tone_delta"] = np.where((nr > 0) & (no > 0), tr - to, 0.0)

    feats = pd.DataFrame(out)
    feats.insert(0, "customer_id", ids.to_numpy())

    # ---------------------------------------------------------------- RFM quintile scores (1..5, 5 best)
    buyers = feats["frequency"] > 0
    for col, name, asc in (("recency_days", "r_score", False), ("frequency", "f_score", True),
                           ("monetary_total", "m_score", True)):
        s = feats.loc[buyers, col]
        pct = s.rank(method="average", pct=True, ascending=asc)
        feats[name] = 0.0
        feats.loc[buyers, name] = np.ceil(pct * 5).clip(1, 5)

    # ---------------------------------------------------------------- BTYD outputs
    bcfg = dict(fcfg.get("btyd", {}))
    if bcfg.get("enabled", True):
        feats = _add_btyd(feats, cc, ct, cut, bcfg, seed, btyd_params)
    feats.attrs["categories"] = list(categories)
    feats.attrs["cutoff"] = str(pd.Timestamp(cut))
    return feats


def _add_btyd(feats: pd.DataFrame, cc, ct, cut, bcfg, seed, params) -> pd.DataFrame:
    n = len(feats)
    p_alive = np.full(n, np.nan)
    exp_p = np.zeros(n)
    p_none = np.ones(n)
    horizon_w = float(bcfg.get("horizon_days", 90)) / 7.0
    if len(cc):
        day = ct // DAY_NS
        dd = pd.DataFrame({"c": cc, "d": day}).drop_duplicates()
        g = dd.groupby("c")["d"]
        first, last, cnt = g.min(), g.max(), g.size()
        idx = first.index.to_numpy()
        x = (cnt.to_numpy() - 1).astype(float)
        tx = (last.to_numpy() - first.to_numpy()) / 7.0
        T = (cut // DAY_NS - first.to_numpy()) / 7.0
        model = btyd.BetaGeoModel()
        if params:
            model.params_ = dict(params)
        else:
            sample = int(bcfg.get("fit_sample", 20000))
            sel = np.arange(len(x))
            if len(sel) > sample:
                sel = np.random.default_rng(seed).choice(len(x), sample, replace=False)
            try:
                model.fit(x[sel], tx[sel], T[sel])
            except Exception:  # pragma: no cover - degenerate data
                model.params_ = {"r": 0.25, "alpha": 4.4, "a": 0.8, "b": 2.4}
        p_alive[idx] = model.conditional_probability_alive(x, tx, T)
        exp_p[idx] = model.conditional_expected_purchases(horizon_w, x, tx, T)
        p_none[idx] = model.conditional_probability_no_purchase(horizon_w, x, tx, T)
        feats.attrs["btyd_params"] = dict(model.params_)
    feats["p_alive"] = p_alive
    feats["btyd_expected_purchases"] = exp_p
    feats["btyd_p_no_purchase"] = p_none
    return feats


def model_feature_columns(feats: pd.DataFrame) -> list[str]:
    return [c for c in feats.columns if c != "customer_id" and pd.api.types.is_numeric_dtype(feats[c])]


# ----------------------------------------------------------------------------------- leakage guard
class LeakageError(AssertionError):
    """A feature changed when only rows at/after the cutoff were changed."""


def _perturb_after(data: Mapping[str, pd.DataFrame], cutoff, seed: int) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    cut = _cut_ns(cutoff)
    out: dict[str, pd.DataFrame] = {}
    for name, df in data.items():
        if not isinstance(df, pd.DataFrame):
            out[name] = df
            continue
        tcols = [c for c in TIME_COLUMNS.get(name, []) if c in df.columns]
        if not tcols or len(df) == 0:
            out[name] = df
            continue
        main = tcols[0]
        t_main = _to_ns(df[main])
        after = (t_main != NAT) & (t_main >= cut)
        late = np.zeros(len(df), bool)
        for c in tcols[1:]:
            t = _to_ns(df[c])
            late |= (t != NAT) & (t >= cut)
        late &= ~after
        df = df.copy()
        if late.any():
            # created before, finished after the cutoff: only the late columns may change
            for c in LATE_COLUMNS.get(name, []):
                if c in df.columns:
                    df.loc[late, c] = pd.to_numeric(df.loc[late, c], errors="coerce").fillna(0) * 3 + 7
            for c in tcols[1:]:
                df.loc[late, c] = pd.to_datetime(df.loc[late, c]) + pd.Timedelta(days=3)
        keep = df.loc[~after]
        post = df.loc[after].copy()
        # modify every non-key column of post-cutoff rows
        for c in post.columns:
            if c in ("customer_id",) or c in tcols:
                continue
            if pd.api.types.is_bool_dtype(post[c]):
                post[c] = ~post[c].astype(bool)
            elif pd.api.types.is_numeric_dtype(post[c]):
                post[c] = post[c].astype(float) * 3 + 7
            else:
                post[c] = post[c].astype(object).where(rng.random(len(post)) < 0.5, "perturbed")
        post = post.sample(frac=0.7, random_state=seed) if len(post) else post
        # add fresh post-cutoff rows for existing customers and for brand-new customers
        base = df.sample(n=min(len(df), 50), replace=True, random_state=seed).copy()
        later = pd.Timestamp(cut) + pd.to_timedelta(rng.integers(0, 200 * 86400, len(base)), unit="s")
        for c in tcols:
            base[c] = later if c == main else later + pd.Timedelta(days=1)
        newbies = base.head(10).copy()
        newbies["customer_id"] = [f"__leak_probe_{i}" for i in range(len(newbies))]
        out[name] = pd.concat([keep, post, base, newbies], ignore_index=True)
    return out


def assert_no_leakage(build_fn: Callable[..., pd.DataFrame], data: Mapping[str, pd.DataFrame], cutoff,
                      *args, n_trials: int = 2, atol: float = 1e-9, **kwargs) -> None:
    """Raise :class:`LeakageError` if ``build_fn(data, cutoff, ...)`` changes when post-cutoff rows
    (time stamp at/after the cutoff, in any table) are modified, dropped or added."""
    ref = build_fn(data, cutoff, *args, **kwargs).sort_values("customer_id").reset_index(drop=True)
    for trial in range(n_trials):
        pert = _perturb_after(data, cutoff, seed=trial + 1)
        got = build_fn(pert, cutoff, *args, **kwargs).sort_values("customer_id").reset_index(drop=True)
        if list(got["customer_id"]) != list(ref["customer_id"]):
            extra = set(got["customer_id"]) ^ set(ref["customer_id"])
            raise LeakageError(f"customer set changed by post-cutoff rows: {sorted(extra)[:5]}")
        if list(got.columns) != list(ref.columns):
            raise LeakageError(f"feature columns changed: {set(got.columns) ^ set(ref.columns)}")
        for c in ref.columns:
            if c == "customer_id":
                continue
            a, b = ref[c], got[c]
            if pd.api.types.is_numeric_dtype(a) and pd.api.types.is_numeric_dtype(b):
                av, bv = a.to_numpy(float), b.to_numpy(float)
                same = np.isclose(av, bv, atol=atol, rtol=1e-9, equal_nan=True)
            else:
                same = (a.astype(str) == b.astype(str)).to_numpy()
            if not same.all():
                who = ref.loc[~same, "customer_id"].head(3).tolist()
                raise LeakageError(f"feature {c!r} changed when post-cutoff rows changed (customers {who})")
