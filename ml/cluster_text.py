"""What a cluster is, in words and numbers people read: per-cluster facts (the median or the mean of
its members, by the feature's unit), numbers formatted for Russian or English readers, and the
descriptions of ``ml.cluster_profiles``.

Units decide both the statistic and the format (docs/methods.md, Clusters):

- ``days`` (recency, tenure), ``count`` (purchases), ``money`` (spend, order value): the median,
  whole numbers with thousands separators (``27 600`` / ``27,600``);
- ``rate`` (per month, engagement) and ``share`` (returns, discounts): the mean, since their
  median is 0 for most groups; rates with two significant digits, shares as percentages.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ml.features import feature_label

__all__ = ["UNITS", "cluster_facts", "describe_cluster", "fact_value", "format_number", "format_value",
           "plural_ru"]

UNITS: dict[str, str] = {
    "recency_days": "days", "tenure_days": "days", "days_since_last_contact": "days",
    "frequency": "count", "purchases_90d": "count", "ticket_count": "count", "call_count": "count",
    "monetary_total": "money", "monetary_avg": "money", "spend_90d": "money",
    "complaints_per_month": "rate", "manager_minutes_per_month": "rate", "engagement_90d": "rate",
    "engagement_30d": "rate", "complaints_90d": "rate", "manager_minutes_90d": "rate",
    "returns_share": "share", "discount_share": "share", "cancel_share": "share", "reopen_rate": "share",
    "price_ticket_share": "share", "top_category_share": "share",
}
MEAN_UNITS = {"rate", "share"}


def unit_of(feature: str) -> str:
    """The unit of a feature; category shares are shares, any other unlisted feature a rate."""
    return UNITS.get(feature, "share" if feature.startswith("cat_share__") else "rate")


def format_number(x: float, lang: str = "ru", decimals: int = 0) -> str:
    """``12345.6`` -> ``12 346`` (ru) / ``12,346`` (en); decimals with a comma in Russian."""
    if x is None or not math.isfinite(float(x)):
        return "—"
    s = f"{float(x):,.{decimals}f}"
    if s.startswith("-") and float(s.replace(",", "")) == 0:
        s = s[1:]
    return s.replace(",", " ").replace(".", ",") if lang == "ru" else s


def _significant(x: float, lang: str) -> str:
    """Two significant digits below 10, one decimal up to 100, whole numbers above; tiny -> "< 0.01"."""
    ax = abs(x)
    if ax < 1e-9:  # zero, or the rounding noise of an inverse transform (8.4e-15)
        return "0"
    if ax < 0.01:
        return "< 0,01" if lang == "ru" else "< 0.01"
    if ax < 1:
        return format_number(x, lang, 2)
    if ax < 10:
        return format_number(x, lang, 1)
    return format_number(x, lang, 0)


def format_value(x: float, unit: str, lang: str = "ru") -> str:
    """A feature value as a person reads it: days / counts / money whole (counts keep one decimal when
    not whole), rates with two significant digits, shares as percentages (``11 %`` / ``11%``)."""
    if x is None or not math.isfinite(float(x)):
        return "—"
    x = 0.0 if abs(float(x)) < 1e-9 else float(x)
    if unit == "share":
        pct = 100 * x
        txt = "0" if pct == 0 else ("< 1" if abs(pct) < 1 else format_number(pct, lang, 0))
        return f"{txt} %" if lang == "ru" else f"{txt}%"
    if unit in ("days", "money"):
        return format_number(round(x), lang, 0)
    if unit == "count":
        return format_number(x, lang, 0 if abs(x - round(x)) < 0.05 else 1)
    return _significant(x, lang)


def plural_ru(n: int, one: str, few: str, many: str) -> str:
    n = abs(int(n))
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def fact_value(values: pd.Series | np.ndarray, feature: str) -> float:
    """The statistic a cluster is described (and its name checked) by: median or mean by unit."""
    v = pd.to_numeric(pd.Series(values), errors="coerce").dropna()
    if not len(v):
        return float("nan")
    return float(v.mean() if unit_of(feature) in MEAN_UNITS else v.median())


def cluster_facts(frame: pd.DataFrame, labels: np.ndarray, ids: Sequence[int], features: Sequence[str]
                  ) -> list[dict[str, float]]:
    """Per cluster id (in ``ids`` order): {feature: fact_value over its members} plus ``size``."""
    out = []
    labels = np.asarray(labels)
    for c in ids:
        members = frame.loc[labels == c]
        facts = {f: fact_value(members[f], f) for f in features if f in frame.columns}
        facts["size"] = float(len(members))
        out.append(facts)
    return out


def _size_text(size: int, share: float, lang: str) -> str:
    pct = format_value(share, "share", lang)
    if lang == "ru":
        return f"{format_number(size, lang)} {plural_ru(size, 'клиент', 'клиента', 'клиентов')} ({pct} базы)"
    return f"{format_number(size, lang)} customer{'' if size == 1 else 's'} ({pct} of the base)"


def describe_cluster(facts: Mapping[str, float], reference: Mapping[str, float], z: Sequence[float],
                     features: Sequence[str], size: int, share: float, lang: str = "ru",
                     reference_name: Mapping[str, str] | None = None, lead: Mapping[str, str] | None = None,
                     top: int = 4, min_z: float = 0.3, first: Sequence[str] = ()) -> str:
    """``"1 266 клиентов (21 % базы). Дней с последней покупки: 68 при 193 у всех покупателей; ..."``

    The features are the ``top`` largest deviations |z| >= ``min_z`` of the cluster's centre; each gives
    the cluster's fact value and the reference population's (its median or mean, by unit); a feature
    whose two values read the same is skipped. ``first`` (the features the cluster's name is based on)
    come before the others, whatever their deviation. ``lead`` (per language) is a sentence put first,
    e.g. "No completed purchase yet."."""
    ref_name = (reference_name or {}).get(lang) or ("по базе" if lang == "ru" else "for the base")
    parts = []
    z = np.asarray(z, float)
    named = [features.index(f) for f in first if f in features]
    order = named + [j for j in np.argsort(-np.abs(z), kind="stable") if j not in named and abs(z[j]) >= min_z]
    for j in order:
        f = features[j]
        if len(parts) >= top or f not in facts:
            continue
        unit = unit_of(f)
        v, r = format_value(facts[f], unit, lang), format_value(reference.get(f, float("nan")), unit, lang)
        if v == r:
            continue
        lab = feature_label(f, lang)
        parts.append(f"{lab}: {v} при {r} {ref_name}" if lang == "ru" else f"{lab}: {v} vs {r} {ref_name}")
    head = _size_text(size, share, lang) + "."
    if lead and lead.get(lang):
        head += " " + lead[lang]
    if not parts:
        parts = ["близко к типичному клиенту" if lang == "ru" else "close to the typical customer"]
    body = "; ".join(parts)
    return f"{head} {body[0].upper()}{body[1:]}."
