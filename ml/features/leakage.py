"""The leakage guard: features at a cutoff must not change when anything at or after it changes."""
from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from .arrays import NAT, cut_ns, to_ns

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


class LeakageError(AssertionError):
    """A feature changed when only rows at/after the cutoff were changed."""


def _perturb_after(data: Mapping[str, pd.DataFrame], cutoff, seed: int) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    cut = cut_ns(cutoff)
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
        t_main = to_ns(df[main])
        after = (t_main != NAT) & (t_main >= cut)
        late = np.zeros(len(df), bool)
        for c in tcols[1:]:
            t = to_ns(df[c])
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
