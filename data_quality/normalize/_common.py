"""Shared helpers for the normalisers: config sections and distinct-value mapping."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

from clientpulse_config import load, merge

CONFIG_FILE = "normalization.yaml"


def config_section(name: str, config: dict[str, Any] | None) -> dict[str, Any]:
    """Return section ``name`` of the normalisation config.

    ``config`` may be the whole file (``{"phones": {...}, ...}``) or just the section; it is merged
    over the loaded ``normalization.yaml`` section by the config layer's one rule, so a test can
    override one threshold without restating the rest. Never mutates inputs.
    """
    defaults = load(CONFIG_FILE)[name]
    if config is None:
        return defaults
    given = config.get(name, config) if isinstance(config.get(name), dict) else config
    return merge(defaults, given)


def as_series(values: pd.Series | Iterable[Any] | None) -> pd.Series:
    if values is None:
        return pd.Series([], dtype=object)
    if isinstance(values, pd.Series):
        return values
    return pd.Series(list(values), dtype=object)


def to_text(value: Any) -> str:
    """The text form of one input value (integral floats such as 79123456789.0 lose the .0)."""
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def distinct_non_null(values: pd.Series | Iterable[Any]) -> list[str]:
    """Distinct non-null values, as strings, in first-seen order (blank strings kept)."""
    s = as_series(values)
    s = s[s.notna()]
    if s.empty:
        return []
    uniq = pd.unique(s.to_numpy(dtype=object))
    out: list[str] = []
    seen: set[str] = set()
    for u in uniq:
        text = to_text(u)
        if text not in seen:
            seen.add(text)
            out.append(text)
    return out


def fold_yo(text: str) -> str:
    return text.replace("ё", "е").replace("Ё", "Е")
