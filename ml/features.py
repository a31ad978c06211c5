"""Point-in-time customer features for clusters, churn and toxicity models.

``build_features(data, cutoff, config)`` returns one row per customer known strictly before the
cutoff, computed only from rows whose time stamp is strictly before the cutoff (tickets also need
``closed_at`` before the cutoff for their handling minutes / reopen counts to be used).
``assert_no_leakage`` proves it by perturbing every post-cutoff row.

The tables are decoded once (:func:`prepare_data`: one sorted factorize of all customer ids, time
stamps as int64, text columns mapped through their distinct values, orders sorted by customer and
time); every cutoff is then masks, ``np.bincount`` and run boundaries over those arrays - no
per-customer Python, no groupby-apply - so 1M customers and 10M orders take ~10 s, and a training
run decodes once for all its cutoffs.
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from ml import btyd

__all__ = [
    "FEATURE_LABELS",
    "TIME_COLUMNS",
    "LeakageError",
    "PreparedData",
    "assert_no_leakage",
    "build_features",
    "feature_label",
    "load_config",
    "model_feature_columns",
    "prepare_data",
    "setting",
]

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


@functools.cache
def _shipped() -> dict:
    return load_config(CONFIG_PATH)


def setting(section: Mapping | None, key: str, *path: str):
    """``section[key]``, else the shipped ``config/models.yaml`` value at ``path + key`` (the defaults
    live only there, so an older config copy without the key still gets them)."""
    if section is not None and key in section:
        return section[key]
    node = _shipped()
    for part in (*path, key):
        node = node[part]
    return node


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


def _discount_fraction(discount: pd.Series, amount: pd.Series) -> np.ndarray:
    d = pd.to_numeric(discount, errors="coerce").to_numpy(float)
    a = pd.to_numeric(amount, errors="coerce").to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        # share 0..1 as is; > 1 is an amount: share of the pre-discount price
        frac = np.where(d > 1, d / (a + d), d)
    return np.nan_to_num(np.clip(frac, 0, 1), nan=0.0)


def _map_distinct(s: pd.Series, fn: Callable[[pd.Series], object]) -> np.ndarray:
    """``fn`` applied row-wise but evaluated on the distinct values only (low-cardinality text columns).

    ``fn`` gets an object Series of the distinct values plus one missing value and returns an array
    of the same length; rows with a missing value take the last entry (factorize's -1 code)."""
    codes, uniq = pd.factorize(s, use_na_sentinel=True)
    u = pd.Series(list(np.asarray(uniq, dtype=object)) + [None], dtype=object)
    return np.asarray(fn(u))[codes]


def _ordered(code: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Stable order by (code, t): one int64 stable argsort of a packed key when it is exact (checked),
    np.lexsort otherwise."""
    if len(code) == 0:
        return np.zeros(0, dtype=np.int64)
    bits_code = max(1, int(code.max()).bit_length())
    span = int(t.max()) - int(t.min())
    shift = max(0, span.bit_length() - (62 - bits_code))
    if bits_code <= 40:
        key = (code.astype(np.int64) << (62 - bits_code)) | ((t - t.min()) >> shift)
        order = np.argsort(key, kind="stable")
        c, tt = code[order], t[order]
        if not np.any((c[1:] == c[:-1]) & (tt[1:] < tt[:-1])):
            return order  # equal keys kept their input order and t is non-decreasing within a code
    return np.lexsort((t, code))


@dataclass
class PreparedData:
    """Input tables decoded once into numpy arrays over integer customer codes.

    ``ids`` are the sorted distinct customer ids; each table keeps only rows with a valid main time
    stamp (rows with a missing one are never "before" any cutoff) and a customer id. Orders are
    sorted by (customer, time), ties in input order. Building features at any cutoff is then a
    handful of masks and ``np.bincount`` calls; :meth:`subset` restricts to a customer sample
    without touching the original frames."""

    ids: np.ndarray
    first_ns: np.ndarray                     # per code: earliest time stamp over all tables
    tables: dict[str, dict[str, np.ndarray]]
    category_names: np.ndarray               # order category of code k (orders["cat"] == -1: none)

    @property
    def n(self) -> int:
        return len(self.ids)

    def subset(self, keep: np.ndarray) -> PreparedData:
        """Only the customers whose code is in ``keep`` (bool mask over codes or code array)."""
        mask = np.zeros(self.n, bool)
        mask[keep] = True
        new = np.cumsum(mask) - 1
        tables = {}
        for name, tab in self.tables.items():
            rows = mask[tab["code"]]
            sub = {k: v[rows] for k, v in tab.items()}
            sub["code"] = new[sub["code"]]
            tables[name] = sub
        return PreparedData(self.ids[mask], self.first_ns[mask], tables, self.category_names)


_EMPTY_TABLE = {"code": np.zeros(0, np.int64), "t": np.zeros(0, np.int64)}


def prepare_data(data: Mapping[str, pd.DataFrame] | PreparedData) -> PreparedData:
    """Decode the tables once (see :class:`PreparedData`); a PreparedData is returned as is."""
    if isinstance(data, PreparedData):
        return data
    main_time = {"customers": "first_seen_at", "orders": "order_date", "tickets": "created_at",
                 "events": "occurred_at", "calls": "started_at", "messages": "sent_at"}
    frames, times, oks, id_parts = {}, {}, {}, []
    for name, tcol in main_time.items():
        df = _table(data, name, [tcol])
        if tcol not in df.columns or len(df) == 0:
            continue
        t = _to_ns(df[tcol])
        ok = t != NAT
        frames[name], times[name], oks[name] = df, t, ok
        id_parts.append(_ids(df)[ok] if not ok.all() else _ids(df))
    # one sorted factorize of every table's ids: codes follow the sorted customer_id
    all_codes, uniq = pd.factorize(np.concatenate(id_parts) if id_parts else np.array([], object), sort=True)
    ids = np.asarray(uniq, dtype=object)
    n = len(ids)
    first_ns = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    tables: dict[str, dict[str, np.ndarray]] = {}
    cat_names = np.array([], dtype=object)
    pos = 0
    for name, df in frames.items():
        ok, t = oks[name], times[name]
        k = int(ok.sum())
        code = np.full(len(df), -1, dtype=np.int64)
        code[ok] = all_codes[pos:pos + k]
        pos += k
        rows = np.flatnonzero(code >= 0)
        if name == "orders":
            rows = rows[_ordered(code[rows], t[rows])]
        tab = {"code": code[rows], "t": t[rows]}
        if len(rows):
            np.minimum.at(first_ns, tab["code"], tab["t"])
        if name == "orders":
            status = _map_distinct(_col(df, "status", "completed"),
                                   lambda u: u.fillna("completed").astype(str).str.lower().to_numpy())
            kind = np.full(len(status), 3, dtype=np.int8)
            kind[status == "completed"] = 0
            kind[np.isin(status, ["returned", "refunded"])] = 1
            kind[status == "cancelled"] = 2
            tab["kind"] = kind[rows]
            tab["amount"] = pd.to_numeric(_col(df, "amount", 0.0), errors="coerce").fillna(0.0).to_numpy(float)[rows]
            tab["disc"] = _discount_fraction(_col(df, "discount"), _col(df, "amount"))[rows]
            cat = _map_distinct(_col(df, "category", None), lambda u: u.astype("string").fillna("").to_numpy(object))
            cc, cat_names = pd.factorize(cat)
            cat_names = np.asarray(cat_names, dtype=object)
            empty = np.flatnonzero(cat_names == "")
            if len(empty):
                cc = np.where(cc == empty[0], -1, cc)
            tab["cat"] = cc.astype(np.int32)[rows]
            tab["orig"] = rows  # input row position: category ties are broken by first appearance
        elif name == "tickets":
            tab["closed"] = _to_ns(_col(df, "closed_at", pd.NaT))[rows]
            tab["is_complaint"] = _map_distinct(_col(df, "is_complaint", False),
                                                lambda u: np.array([False if pd.isna(v) else bool(v) for v in u], bool))[rows]
            tab["reopen"] = pd.to_numeric(_col(df, "reopen_count", 0), errors="coerce").fillna(0).to_numpy(float)[rows]
            tab["handling"] = pd.to_numeric(_col(df, "handling_minutes", 0), errors="coerce").fillna(0).to_numpy(float)[rows]

            def _price(u):
                tc = u.astype("string").fillna("").str.lower().to_numpy().astype(str)
                return (np.char.find(tc, "price") >= 0) | np.isin(tc, ["billing", "price", "payment", "оплата",
                                                                      "цена", "биллинг"])
            tab["price"] = _map_distinct(_col(df, "category", ""), _price)[rows]
        elif name == "events":
            tab["etype"] = _map_distinct(
                _col(df, "event_type", ""),
                lambda u: pd.Index(EVENT_TYPES).get_indexer(u.astype("string").fillna("").str.lower().to_numpy())
            ).astype(np.int8)[rows]
        elif name == "calls":
            tab["minutes"] = (pd.to_numeric(_col(df, "duration_sec", 0), errors="coerce").fillna(0).to_numpy(float)
                              / 60.0)[rows]
        elif name == "messages":
            tab["tone"] = pd.to_numeric(_col(df, "tone"), errors="coerce").to_numpy(float)[rows]
            tab["inbound"] = _map_distinct(
                _col(df, "direction", "inbound"),
                lambda u: ~np.isin(u.astype("string").fillna("inbound").str.lower().to_numpy(),
                                   ["outbound", "out", "outgoing", "исходящее"]))[rows]
        tables[name] = tab
    return PreparedData(ids, first_ns, tables, cat_names)


def _last_per_code(code: np.ndarray) -> np.ndarray:
    """Positions of the last row of each run of equal codes (rows sorted by code)."""
    return np.flatnonzero(np.r_[code[1:] != code[:-1], True]) if len(code) else np.zeros(0, np.int64)


def _first_per_code(code: np.ndarray) -> np.ndarray:
    return np.flatnonzero(np.r_[True, code[1:] != code[:-1]]) if len(code) else np.zeros(0, np.int64)


# ----------------------------------------------------------------------------------- features
def build_features(data: Mapping[str, pd.DataFrame] | PreparedData, cutoff, config: Mapping | None = None,
                   categories: list[str] | None = None, btyd_params: dict | None = None) -> pd.DataFrame:
    """One row per customer known strictly before ``cutoff`` (see module doc).

    ``categories`` fixes the category-mix columns (a trained model passes its own list; otherwise
    the ``category_top_n`` most frequent pre-cutoff categories).  ``btyd_params`` reuses fitted
    BG/NBD parameters instead of refitting at this cutoff.  ``data`` may be a :class:`PreparedData`
    (from :func:`prepare_data`) to build several cutoffs from one decoding of the tables.
    """
    return _build(prepare_data(data), _cut_ns(cutoff), _cfg(config), categories, btyd_params)


def _build(prep: PreparedData, cut: int, cfg: dict, categories, btyd_params) -> pd.DataFrame:
    fcfg = dict(cfg.get("features", {}))
    seed = int(cfg.get("random_state", 42))
    rate_window = float(fcfg.get("rate_window_days", 365))
    tone_recent = float(fcfg.get("tone_recent_days", 30))
    n = prep.n
    T = prep.tables
    d90 = cut - 90 * DAY_NS

    def before(name: str, *cols: str):
        tab = T.get(name, _EMPTY_TABLE)
        m = tab["t"] < cut
        if m.all():  # e.g. scoring as of the load date: every row, no copies
            return [tab.get(c, np.zeros(0)) for c in ("code", "t", *cols)]
        return [tab[c][m] if c in tab else np.zeros(0) for c in ("code", "t", *cols)]

    out: dict[str, np.ndarray] = {}
    # universe: everybody with any pre-cutoff row (first time stamp over all tables before the cutoff)
    univ = np.flatnonzero(prep.first_ns < cut)
    tenure = (cut - prep.first_ns) / DAY_NS
    out["tenure_days"] = tenure
    months = np.clip(np.minimum(tenure, rate_window), MONTH_DAYS, None) / MONTH_DAYS
    win_start = cut - int(rate_window * DAY_NS)

    # ---------------------------------------------------------------- orders (sorted by customer, time)
    oc, o_t, kind, amount, disc_all, cat_all, orig_all = before("orders", "kind", "amount", "disc", "cat", "orig")
    completed = kind == 0
    returned = kind == 1
    n_all = _bincount(oc, n)
    out["returns_share"] = np.divide(_bincount(oc[returned], n), n_all, out=np.zeros(n), where=n_all > 0)
    out["cancel_share"] = np.divide(_bincount(oc[kind == 2], n), n_all, out=np.zeros(n), where=n_all > 0)

    cc, ct, ca = oc[completed], o_t[completed], amount[completed]
    freq = _bincount(cc, n)
    tot = _bincount(cc, n, ca)
    out["frequency"] = freq
    out["has_purchase"] = (freq > 0).astype(float)
    out["monetary_total"] = tot
    out["monetary_avg"] = np.divide(tot, freq, out=np.zeros(n), where=freq > 0)
    last_buy = np.full(n, NAT, dtype=np.int64)
    ends = _last_per_code(cc)
    last_buy[cc[ends]] = ct[ends]  # rows sorted by (customer, time): the last row is the latest
    rec = np.where(freq > 0, (cut - last_buy) / DAY_NS, tenure)  # never bought: time since first seen
    out["recency_days"] = rec
    recent = ct >= d90
    out["purchases_90d"] = _bincount(cc[recent], n)
    out["spend_90d"] = _bincount(cc[recent], n, ca[recent])

    # distinct purchase days per customer (sorted): inter-purchase intervals and BTYD summaries
    day = ct // DAY_NS
    new_day = np.r_[True, (cc[1:] != cc[:-1]) | (day[1:] != day[:-1])] if len(cc) else np.zeros(0, bool)
    dc, dd = cc[new_day], day[new_day]
    ipi_mean = np.full(n, np.nan)
    ipi_median = np.full(n, np.nan)
    same = np.r_[False, dc[1:] == dc[:-1]] if len(dc) else np.zeros(0, bool)
    gaps = np.diff(dd, prepend=0)[same].astype(float)
    gc = dc[same]
    if len(gc):
        med = pd.Series(gaps).groupby(gc, sort=False).median()
        ipi_median[med.index.to_numpy()] = med.to_numpy()
        cnt = _bincount(gc, n)
        ipi_mean = np.where(cnt > 0, _bincount(gc, n, gaps) / np.maximum(cnt, 1), np.nan)
    out["ipi_mean"] = ipi_mean
    out["ipi_median"] = ipi_median
    with np.errstate(divide="ignore", invalid="ignore"):
        out["cycle_lateness"] = np.where(ipi_median > 0, rec / np.maximum(ipi_median, 1.0), np.nan)

    # discounts: share of completed orders with a discount, depth, first purchase with discount
    disc = disc_all[completed]
    out["discount_share"] = np.divide(_bincount(cc[disc > 0], n), freq, out=np.zeros(n), where=freq > 0)
    out["discount_depth"] = np.divide(_bincount(cc, n, disc), freq, out=np.zeros(n), where=freq > 0)
    first_disc = np.zeros(n)
    starts = _first_per_code(cc)
    first_disc[cc[starts]] = (disc[starts] > 0).astype(float)
    out["first_purchase_discount"] = first_disc

    # category mix
    cat = cat_all[completed].astype(np.int64)
    has_cat = cat >= 0
    names = prep.category_names
    K = max(len(names), 1)
    if categories is None:
        top_n = int(fcfg.get("category_top_n", 5))
        categories = []
        if has_cat.any():
            counts = np.bincount(cat[has_cat], minlength=K)
            first_pos = np.full(K, np.iinfo(np.int64).max)
            np.minimum.at(first_pos, cat[has_cat], orig_all[completed][has_cat])
            seen = np.flatnonzero(counts > 0)
            seen = seen[np.argsort(first_pos[seen], kind="stable")]
            # as value_counts: distinct values in order of first appearance, then sorted by count
            vc = pd.Series(counts[seen], index=pd.Index(names[seen], dtype=object)).sort_values(ascending=False)
            categories = list(vc.head(top_n).index)
    ncat = np.zeros(n)
    topshare = np.zeros(n)
    if has_cat.any():
        key = cc[has_cat] * K + cat[has_cat]
        if n * K <= 20_000_000:
            per = np.bincount(key, minlength=n * K).reshape(n, K)
            ncat = (per > 0).sum(1).astype(float)
            mx = per.max(1).astype(float)
        else:
            uk, cnt = np.unique(key, return_counts=True)
            ncat = _bincount(uk // K, n)
            mx = np.zeros(n)
            np.maximum.at(mx, uk // K, cnt.astype(float))
        ncat_tot = _bincount(cc[has_cat], n)
        topshare = np.divide(mx, ncat_tot, out=np.zeros(n), where=ncat_tot > 0)
    out["n_categories"] = ncat
    out["top_category_share"] = topshare
    code_of_name = {str(v): i for i, v in enumerate(names) if v != ""}
    for k in categories:
        j = code_of_name.get(str(k), -2)
        out[f"cat_share__{k}"] = np.divide(_bincount(cc[cat == j], n), freq, out=np.zeros(n), where=freq > 0)

    # ---------------------------------------------------------------- tickets & calls: complaints, manager time
    last_contact = np.full(n, NAT, dtype=np.int64)
    kc, k_t, closed_t, is_compl, reopen, handling, price = before(
        "tickets", "closed", "is_complaint", "reopen", "handling", "price")
    is_compl, price = is_compl.astype(bool), price.astype(bool)
    if len(kc):
        np.maximum.at(last_contact, kc, k_t)
    # handling minutes / reopen counts are known only once the ticket is closed (or still open)
    known = (closed_t == NAT) | (closed_t < cut)
    handling = np.where(known, handling, 0.0)
    in_win_k = k_t >= win_start
    in90_k = k_t >= d90
    n_tk = _bincount(kc, n)
    out["ticket_count"] = n_tk
    out["tickets_90d"] = _bincount(kc[in90_k], n)
    n_known = _bincount(kc[known], n)
    out["reopen_rate"] = np.divide(_bincount(kc[known & (reopen > 0)], n), n_known, out=np.zeros(n),
                                   where=n_known > 0)
    out["price_ticket_share"] = np.divide(_bincount(kc[price], n), n_tk, out=np.zeros(n), where=n_tk > 0)

    compl_win = _bincount(kc[is_compl & in_win_k], n)
    compl_90 = _bincount(kc[is_compl & in90_k], n)
    if fcfg.get("complaints_include_returns", True) and len(oc):
        compl_win += _bincount(oc[returned & (o_t >= win_start)], n)
        compl_90 += _bincount(oc[returned & (o_t >= d90)], n)
    out["complaints_per_month"] = compl_win / months
    out["complaints_90d"] = compl_90

    clc, c_t, dur = before("calls", "minutes")
    if len(clc):
        np.maximum.at(last_contact, clc, c_t)
    in_win_c = c_t >= win_start
    mins_win = _bincount(clc[in_win_c], n, dur[in_win_c]) + _bincount(kc[in_win_k], n, handling[in_win_k])
    out["manager_minutes_per_month"] = mins_win / months
    in90_c = c_t >= d90
    out["manager_minutes_90d"] = _bincount(clc[in90_c], n, dur[in90_c]) + _bincount(kc[in90_k], n, handling[in90_k])
    out["call_count"] = _bincount(clc, n)

    # ---------------------------------------------------------------- engagement
    ec, e_t, et = before("events", "etype")
    et = et.astype(np.int64)
    if len(ec):
        np.maximum.at(last_contact, ec, e_t)
    n_types = len(EVENT_TYPES) + 1  # column 0: other event types
    eng30 = np.zeros(n)
    eng90 = np.zeros(n)
    for w in fcfg.get("engagement_windows", [30, 90]):
        inw = e_t >= cut - int(w) * DAY_NS
        per = (np.bincount(ec[inw] * n_types + et[inw] + 1, minlength=n * n_types).reshape(n, n_types)
               .astype(float) if inw.any() else np.zeros((n, n_types)))
        for j, e in enumerate(EVENT_TYPES):
            v = np.ascontiguousarray(per[:, j + 1])
            out[f"{e}_{int(w)}d"] = v
            if e in ("email_open", "email_click", "site_visit", "product_view"):
                if int(w) == 30:
                    eng30 += v
                elif int(w) == 90:
                    eng90 += v
    out["engagement_30d"] = eng30
    out["engagement_90d"] = eng90
    out["unsubscribed"] = (_bincount(ec[et == EVENT_TYPES.index("unsubscribe")], n) > 0).astype(float)

    # ---------------------------------------------------------------- tone
    mc, m_t, tone, inbound = before("messages", "tone", "inbound")
    if len(mc):
        np.maximum.at(last_contact, mc, m_t)
    out["days_since_last_contact"] = np.where(last_contact != NAT, (cut - last_contact) / DAY_NS, tenure)
    ok = np.isfinite(tone) & inbound.astype(bool)
    out["message_count"] = _bincount(mc, n)
    nt = _bincount(mc[ok], n)
    out["tone_mean"] = np.divide(_bincount(mc[ok], n, tone[ok]), nt, out=np.full(n, np.nan), where=nt > 0)
    rec_m = ok & (m_t >= cut - int(tone_recent * DAY_NS))
    old_m = ok & ~rec_m
    nr, no = _bincount(mc[rec_m], n), _bincount(mc[old_m], n)
    tr = np.divide(_bincount(mc[rec_m], n, tone[rec_m]), nr, out=np.full(n, np.nan), where=nr > 0)
    to = np.divide(_bincount(mc[old_m], n, tone[old_m]), no, out=np.full(n, np.nan), where=no > 0)
    out["tone_delta"] = np.where((nr > 0) & (no > 0), tr - to, 0.0)

    # ---------------------------------------------------------------- RFM quintile scores (1..5, 5 best)
    whole = len(univ) == n
    sel = {k: (v if whole else v[univ]) for k, v in out.items()}
    buyers = sel["frequency"] > 0
    for col, name, asc in (("recency_days", "r_score", False), ("frequency", "f_score", True),
                           ("monetary_total", "m_score", True)):
        score = np.zeros(len(univ))
        if buyers.any():
            pct = pd.Series(sel[col][buyers]).rank(method="average", pct=True, ascending=asc).to_numpy()
            score[buyers] = np.clip(np.ceil(pct * 5), 1, 5)
        sel[name] = score

    # ---------------------------------------------------------------- BTYD outputs
    attrs: dict = {}
    bcfg = dict(fcfg.get("btyd", {}))
    if bcfg.get("enabled", True):
        p_alive, exp_p, p_none = _btyd_outputs(dc, dd, n, cut, bcfg, seed, btyd_params, attrs)
        for k, v in (("p_alive", p_alive), ("btyd_expected_purchases", exp_p), ("btyd_p_no_purchase", p_none)):
            sel[k] = v if whole else v[univ]
    feats = pd.DataFrame({"customer_id": prep.ids if whole else prep.ids[univ], **sel})
    feats.attrs.update(attrs)
    feats.attrs["categories"] = list(categories)
    feats.attrs["cutoff"] = str(pd.Timestamp(cut))
    return feats


def _btyd_outputs(dc, dd, n, cut, bcfg, seed, params, attrs):
    """BG/NBD P(alive), expected purchases and P(no purchase) in the horizon from the distinct purchase
    days (dc: customer code, dd: day; sorted by customer then day).

    The fit is used only when the data can identify it: at least ``min_repeaters`` customers with a
    repeat purchase and an optimiser that converged away from its bounds. Otherwise every output is
    NaN and ``attrs["btyd_status"]`` says why (the churn model then falls back to recency)."""
    p_alive = np.full(n, np.nan)
    exp_p = np.zeros(n)
    p_none = np.ones(n)
    horizon_w = float(bcfg.get("horizon_days", 90)) / 7.0
    attrs["btyd_status"] = "no_purchases"
    if len(dc):
        starts, ends = _first_per_code(dc), _last_per_code(dc)
        idx = dc[starts]
        first, last = dd[starts], dd[ends]
        x = (ends - starts).astype(float)  # distinct purchase days - 1
        tx = (last - first) / 7.0
        T = (cut // DAY_NS - first) / 7.0
        model = btyd.BetaGeoModel()
        repeaters = int((x > 0).sum())
        attrs["btyd_repeaters"] = repeaters
        if params:
            model.params_ = dict(params)
            status = "ok"
        elif repeaters < int(setting(bcfg, "min_repeaters", "features", "btyd")):
            status = "too_few_repeaters"
        else:
            sample = int(bcfg.get("fit_sample", 20000))
            sel = np.arange(len(x))
            if len(sel) > sample:
                sel = np.random.default_rng(seed).choice(len(x), sample, replace=False)
            model.fit(x[sel], tx[sel], T[sel])
            status = "ok" if model.converged_ else "not_converged"
        attrs["btyd_status"] = status
        if status != "ok":
            return np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
        p_alive[idx] = model.conditional_probability_alive(x, tx, T)
        exp_p[idx] = model.conditional_expected_purchases(horizon_w, x, tx, T)
        p_none[idx] = model.conditional_probability_no_purchase(horizon_w, x, tx, T)
        attrs["btyd_params"] = dict(model.params_)
    return p_alive, exp_p, p_none


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
