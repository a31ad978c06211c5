"""Features at a cutoff: every family in turn over one :class:`Window`, then the customers known
before the cutoff, their RFM scores and BG/NBD outputs as one frame."""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from clientpulse_config import load

from .arrays import cut_ns
from .communication import communication_features
from .marketing import engagement_features
from .prepared import PreparedData, prepare_data
from .purchases import Purchases, purchase_features
from .scores import btyd_outputs, rfm_scores
from .tickets import service_features
from .window import Window


def build_features(data: Mapping[str, pd.DataFrame] | PreparedData, cutoff, config: Mapping | None = None,
                   categories: list[str] | None = None, btyd_params: dict | None = None) -> pd.DataFrame:
    """One row per customer known strictly before ``cutoff`` (see the package doc).

    ``categories`` fixes the category-mix columns (a trained model passes its own list; otherwise
    the ``category_top_n`` most frequent pre-cutoff categories).  ``btyd_params`` reuses fitted
    BG/NBD parameters instead of refitting at this cutoff.  ``data`` may be a :class:`PreparedData`
    (from :func:`prepare_data`) to build several cutoffs from one decoding of the tables.
    """
    cfg = load("models") if config is None else dict(config)
    return build_at(prepare_data(data), cut_ns(cutoff), cfg, categories, btyd_params)


def build_at(prep: PreparedData, cut: int, cfg: dict, categories, btyd_params) -> pd.DataFrame:
    """:func:`build_features` on prepared data at a cutoff in int64 ns (a training run's inner loop)."""
    w = Window(prep, cut, dict(cfg.get("features", {})))
    out: dict[str, np.ndarray] = {"tenure_days": w.tenure}
    bought = purchase_features(w, out, categories)
    service_features(w, out, bought)
    engagement_features(w, out)
    communication_features(w, out)
    return _frame(w, out, bought, cfg, btyd_params)


def _frame(w: Window, out: dict, bought: Purchases, cfg: dict, btyd_params) -> pd.DataFrame:
    """The rows of the customers with any pre-cutoff row, plus the scores computed over them."""
    prep, cut, n = w.prep, w.cut, w.n
    univ = np.flatnonzero(prep.first_ns < cut)
    whole = len(univ) == n
    sel = {k: (v if whole else v[univ]) for k, v in out.items()}
    sel.update(rfm_scores(sel["recency_days"], sel["frequency"], sel["monetary_total"]))
    attrs: dict = {}
    bcfg = dict(w.fcfg.get("btyd", {}))
    if not bcfg.get("enabled", True):
        attrs["btyd_status"] = "disabled"
    else:
        seed = int(cfg.get("random_state", 42))
        p_alive, exp_p, p_none = btyd_outputs(bought.day_code, bought.day, n, cut, bcfg, seed, btyd_params, attrs)
        for k, v in (("p_alive", p_alive), ("btyd_expected_purchases", exp_p), ("btyd_p_no_purchase", p_none)):
            sel[k] = v if whole else v[univ]
    feats = pd.DataFrame({"customer_id": prep.ids if whole else prep.ids[univ], **sel})
    feats.attrs.update(attrs)
    feats.attrs["categories"] = list(bought.categories)
    feats.attrs["cutoff"] = str(pd.Timestamp(cut))
    return feats


def model_feature_columns(feats: pd.DataFrame) -> list[str]:
    return [c for c in feats.columns if c != "customer_id" and pd.api.types.is_numeric_dtype(feats[c])]
