"""Identity-resolution settings: `config/identity.yaml` deep-merged with caller overrides."""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import yaml

DEFAULT_CONFIG_PATH = Path(__file__).resolve().parents[2] / "config" / "identity.yaml"
ENV_CONFIG_PATH = "CLIENTPULSE_IDENTITY_CONFIG"


def _deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def load_config(overrides: dict[str, Any] | None = None, path: str | Path | None = None) -> dict[str, Any]:
    """Read the YAML settings (explicit path, $CLIENTPULSE_IDENTITY_CONFIG or the repo default)
    and deep-merge `overrides` over them. Lists (keys, comparisons, rules) are replaced whole."""
    path = Path(path or os.environ.get(ENV_CONFIG_PATH) or DEFAULT_CONFIG_PATH)
    with open(path, encoding="utf-8") as fh:
        base = yaml.safe_load(fh) or {}
    return _deep_merge(base, overrides or {})
