"""One cutoff over the prepared tables: the clock and windows every feature family reads through."""
from __future__ import annotations

import numpy as np

from .arrays import DAY_NS, MONTH_DAYS, NAT
from .prepared import EMPTY_TABLE, PreparedData


class Window:
    """Rows strictly before ``cut`` and the shared windows: the last 90 days, the rate window
    (``rate_window_days``, rates are per month of it, at least one month) and each customer's last
    contact, which the families with contacts (tickets, calls, events, messages) add to."""

    def __init__(self, prep: PreparedData, cut: int, fcfg: dict):
        self.prep, self.cut, self.fcfg = prep, cut, fcfg
        self.n = prep.n
        self.d90 = cut - 90 * DAY_NS
        rate_window = float(fcfg.get("rate_window_days", 365))
        self.tenure = (cut - prep.first_ns) / DAY_NS
        self.months = np.clip(np.minimum(self.tenure, rate_window), MONTH_DAYS, None) / MONTH_DAYS
        self.win_start = cut - int(rate_window * DAY_NS)
        self.last_contact = np.full(self.n, NAT, dtype=np.int64)

    def rows(self, name: str, *cols: str) -> list[np.ndarray]:
        """[code, t, *cols] of the table's rows before the cutoff (empty arrays for a missing table)."""
        tab = self.prep.tables.get(name, EMPTY_TABLE)
        m = tab["t"] < self.cut
        if m.all():  # e.g. scoring as of the load date: every row, no copies
            return [tab.get(c, np.zeros(0)) for c in ("code", "t", *cols)]
        return [tab[c][m] if c in tab else np.zeros(0) for c in ("code", "t", *cols)]

    def contact(self, code: np.ndarray, t: np.ndarray) -> None:
        if len(code):
            np.maximum.at(self.last_contact, code, t)

    def days_since_last_contact(self) -> np.ndarray:
        """Never contacted: the time since first seen."""
        return np.where(self.last_contact != NAT, (self.cut - self.last_contact) / DAY_NS, self.tenure)
