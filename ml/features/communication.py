"""Communication features: days since the last contact over every channel, message count, mean tone
of the inbound messages and its recent change (``tone_recent_days`` against the older messages)."""
from __future__ import annotations

import numpy as np

from .arrays import DAY_NS, bincount
from .window import Window


def communication_features(w: Window, out: dict) -> None:
    """Runs after the other families with contacts, so the last contact covers them all."""
    n = w.n
    mc, m_t, tone, inbound = w.rows("messages", "tone", "inbound")
    w.contact(mc, m_t)
    out["days_since_last_contact"] = w.days_since_last_contact()
    ok = np.isfinite(tone) & inbound.astype(bool)
    out["message_count"] = bincount(mc, n)
    nt = bincount(mc[ok], n)
    out["tone_mean"] = np.divide(bincount(mc[ok], n, tone[ok]), nt, out=np.full(n, np.nan), where=nt > 0)
    tone_recent = float(w.fcfg.get("tone_recent_days", 30))
    rec_m = ok & (m_t >= w.cut - int(tone_recent * DAY_NS))
    old_m = ok & ~rec_m
    nr, no = bincount(mc[rec_m], n), bincount(mc[old_m], n)
    tr = np.divide(bincount(mc[rec_m], n, tone[rec_m]), nr, out=np.full(n, np.nan), where=nr > 0)
    to = np.divide(bincount(mc[old_m], n, tone[old_m]), no, out=np.full(n, np.nan), where=no > 0)
    out["tone_delta"] = np.where((nr > 0) & (no > 0), tr - to, 0.0)
