"""Service features from tickets and calls: ticket counts and kinds, complaints (returns included
when ``complaints_include_returns``) and manager time, per month of the rate window and in 90 days."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .arrays import NAT, bincount
from .purchases import Purchases
from .window import Window


@dataclass
class _Tickets:
    code: np.ndarray
    in_window: np.ndarray
    in_90d: np.ndarray
    is_complaint: np.ndarray
    handling: np.ndarray       # manager minutes, 0 until the ticket is closed


def service_features(w: Window, out: dict, bought: Purchases) -> None:
    tk = _ticket_features(w, out)
    _complaints(w, out, tk, bought)
    _manager_time(w, out, tk)


def _ticket_features(w: Window, out: dict) -> _Tickets:
    n = w.n
    kc, k_t, closed_t, is_compl, reopen, handling, price = w.rows(
        "tickets", "closed", "is_complaint", "reopen", "handling", "price")
    is_compl, price = is_compl.astype(bool), price.astype(bool)
    w.contact(kc, k_t)
    # handling minutes / reopen counts are known only once the ticket is closed (or still open)
    known = (closed_t == NAT) | (closed_t < w.cut)
    handling = np.where(known, handling, 0.0)
    in_win_k = k_t >= w.win_start
    in90_k = k_t >= w.d90
    n_tk = bincount(kc, n)
    out["ticket_count"] = n_tk
    out["tickets_90d"] = bincount(kc[in90_k], n)
    n_known = bincount(kc[known], n)
    out["reopen_rate"] = np.divide(bincount(kc[known & (reopen > 0)], n), n_known, out=np.zeros(n),
                                   where=n_known > 0)
    out["price_ticket_share"] = np.divide(bincount(kc[price], n), n_tk, out=np.zeros(n), where=n_tk > 0)
    return _Tickets(kc, in_win_k, in90_k, is_compl, handling)


def _complaints(w: Window, out: dict, tk: _Tickets, bought: Purchases) -> None:
    n = w.n
    compl_win = bincount(tk.code[tk.is_complaint & tk.in_window], n)
    compl_90 = bincount(tk.code[tk.is_complaint & tk.in_90d], n)
    rc, rt = bought.returned_code, bought.returned_t
    if w.fcfg.get("complaints_include_returns", True) and len(rc):
        compl_win += bincount(rc[rt >= w.win_start], n)
        compl_90 += bincount(rc[rt >= w.d90], n)
    out["complaints_per_month"] = compl_win / w.months
    out["complaints_90d"] = compl_90


def _manager_time(w: Window, out: dict, tk: _Tickets) -> None:
    """Call minutes plus ticket handling minutes."""
    n = w.n
    clc, c_t, dur = w.rows("calls", "minutes")
    w.contact(clc, c_t)
    in_win_c = c_t >= w.win_start
    mins_win = bincount(clc[in_win_c], n, dur[in_win_c]) + bincount(tk.code[tk.in_window], n,
                                                                    tk.handling[tk.in_window])
    out["manager_minutes_per_month"] = mins_win / w.months
    in90_c = c_t >= w.d90
    out["manager_minutes_90d"] = bincount(clc[in90_c], n, dur[in90_c]) + bincount(tk.code[tk.in_90d], n,
                                                                                 tk.handling[tk.in_90d])
    out["call_count"] = bincount(clc, n)
