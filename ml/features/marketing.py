"""Engagement features from marketing events: counts per event type in each engagement window,
engagement (opens, clicks, visits, views) in 30 / 90 days, unsubscribed."""
from __future__ import annotations

import numpy as np

from .arrays import DAY_NS, bincount
from .labels import EVENT_TYPES
from .window import Window

ENGAGING = ("email_open", "email_click", "site_visit", "product_view")


def engagement_features(w: Window, out: dict) -> None:
    n = w.n
    ec, e_t, et = w.rows("events", "etype")
    et = et.astype(np.int64)
    w.contact(ec, e_t)
    n_types = len(EVENT_TYPES) + 1  # column 0: other event types
    eng30 = np.zeros(n)
    eng90 = np.zeros(n)
    for win in w.fcfg.get("engagement_windows", [30, 90]):
        inw = e_t >= w.cut - int(win) * DAY_NS
        per = (np.bincount(ec[inw] * n_types + et[inw] + 1, minlength=n * n_types).reshape(n, n_types)
               .astype(float) if inw.any() else np.zeros((n, n_types)))
        for j, e in enumerate(EVENT_TYPES):
            v = np.ascontiguousarray(per[:, j + 1])
            out[f"{e}_{int(win)}d"] = v
            if e in ENGAGING:
                if int(win) == 30:
                    eng30 += v
                elif int(win) == 90:
                    eng90 += v
    out["engagement_30d"] = eng30
    out["engagement_90d"] = eng90
    out["unsubscribed"] = (bincount(ec[et == EVENT_TYPES.index("unsubscribe")], n) > 0).astype(float)
