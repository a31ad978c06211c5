"""Load clientpulse YAML configuration.

Thresholds, lists and weights live in versioned YAML under ``config/`` (defaults taken from the
seed documents). ``CLIENTPULSE_CONFIG_DIR`` points at a user's own copy; files missing there fall
back to the shipped defaults, so a user only overrides what they change.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

DEFAULT_CONFIG_DIR = Path(__file__).resolve().parents[1] / "config"


def config_dir() -> Path:
    return Path(os.environ.get("CLIENTPULSE_CONFIG_DIR") or DEFAULT_CONFIG_DIR)


@lru_cache(maxsize=64)
def _load(path: str, mtime: float) -> dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh) or {}


def load_yaml(name: str) -> dict[str, Any]:
    """Return the YAML config ``name`` (e.g. ``"normalization.yaml"``) as a dict.

    The user's directory wins over the shipped default; a missing file in both is an error
    that names the places looked in.
    """
    for base in (config_dir(), DEFAULT_CONFIG_DIR):
        path = base / name
        if path.is_file():
            return _load(str(path), path.stat().st_mtime)
    raise FileNotFoundError(f"config file {name!r} not found in {config_dir()} or {DEFAULT_CONFIG_DIR}")
