"""Versioned model artifacts: data hash, save / load-latest, retrain schedule.

File names: ``<kind>__<as_of YYYYMMDD>__<data hash[:12]>.joblib`` (kind = churn | toxicity | ...),
so the newest model of a kind is the lexicographically last one for that kind.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd

__all__ = ["data_hash", "list_models", "load_latest", "retrain_due", "save_model"]


def _as_date(x) -> date:
    if x is None:
        raise ValueError("date is None")
    return pd.Timestamp(x.isoformat() if isinstance(x, (date, datetime)) else x).date()


def data_hash(data: Mapping[str, pd.DataFrame], as_of=None) -> str:
    """Order-independent content hash of the input tables (rows before ``as_of`` if given)."""
    from ml.features import TIME_COLUMNS, cut_ns, to_ns

    h = hashlib.sha256()
    cut = cut_ns(as_of) if as_of is not None else None
    for name in sorted(data):
        df = data[name]
        if not isinstance(df, pd.DataFrame):
            continue
        keep = None
        if cut is not None and len(df):
            tcol = next((c for c in TIME_COLUMNS.get(name, []) if c in df.columns), None)
            if tcol is not None:
                keep = to_ns(df[tcol]) < cut
        n_rows = len(df) if keep is None else int(keep.sum())
        cols = sorted(df.columns)
        h.update(f"{name}:{n_rows}:{','.join(map(str, cols))};".encode())
        if n_rows:
            if n_rows < 1000:
                part = df if keep is None else df.loc[keep]
                rows = pd.util.hash_pandas_object(part[cols].astype(str), index=False).to_numpy()
            elif keep is not None and n_rows < len(df) // 2:
                rows = pd.util.hash_pandas_object(df.loc[keep, cols], index=False).to_numpy()
            else:
                # row hashes do not depend on other rows: hash the table in place and keep the
                # pre-as_of rows' hashes (no copy of a mostly kept table)
                rows = pd.util.hash_pandas_object(df[cols], index=False).to_numpy()
                if keep is not None:
                    rows = rows[keep]
            # sum and xor of row hashes: independent of row order
            h.update(np.uint64(rows.sum(dtype=np.uint64)).tobytes())
            h.update(np.bitwise_xor.reduce(rows).tobytes())
    return h.hexdigest()


def save_model(model: Any, directory: str | Path, kind: str | None = None) -> Path:
    """Write ``model`` atomically as a versioned joblib file and return its path."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    kind = kind or getattr(model, "kind", None) or type(model).__name__.lower()
    as_of = getattr(model, "as_of", None) or getattr(model, "trained_at", None) or date.today()
    dh = (getattr(model, "data_hash", None) or "nohash")[:12]
    path = directory / f"{kind}__{_as_date(as_of):%Y%m%d}__{dh}.joblib"
    fd, tmp = tempfile.mkstemp(dir=directory, suffix=".tmp")
    os.close(fd)
    joblib.dump(model, tmp, compress=3)
    os.replace(tmp, path)
    return path


def list_models(directory: str | Path, kind: str) -> list[Path]:
    directory = Path(directory)
    if not directory.exists():
        return []
    return sorted(directory.glob(f"{kind}__*.joblib"))


def load_latest(directory: str | Path, kind: str, as_of=None) -> Any | None:
    """Newest saved model of ``kind`` (trained as of a date <= ``as_of`` when given), or None."""
    paths = list_models(directory, kind)
    if as_of is not None:
        lim = f"{_as_date(as_of):%Y%m%d}"
        paths = [p for p in paths if p.name.split("__")[1] <= lim]
    return joblib.load(paths[-1]) if paths else None


def retrain_due(last_trained_at, as_of, config: Mapping | None = None) -> bool:
    """True when there is no model, it is ``retrain_every_days`` old or more, or it was trained
    as of a later date than ``as_of`` (a back-fill must not use a model that saw the future)."""
    if last_trained_at is None:
        return True
    cfg = dict(config or {})
    every = int(cfg.get("model_store", cfg).get("retrain_every_days", 7))
    age = (_as_date(as_of) - _as_date(last_trained_at)).days
    return age < 0 or age >= every
