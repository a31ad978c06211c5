"""The model settings (``config/models.yaml``) for features, churn, toxicity and clusters."""
from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path

CONFIG_PATH = Path(__file__).resolve().parents[2] / "config" / "models.yaml"


def load_config(path: str | Path | None = None) -> dict:
    import yaml

    with open(path or CONFIG_PATH, encoding="utf-8") as fh:
        return yaml.safe_load(fh) or {}


@functools.cache
def _shipped() -> dict:
    return load_config(CONFIG_PATH)


def setting(section: Mapping | None, key: str, *path: str):
    """``section[key]``, else the shipped ``config/models.yaml`` value at ``path + key`` (the defaults
    live only there, so an older config copy without the key still gets them)."""
    if section is not None and key in section:
        return section[key]
    node = _shipped()
    for part in (*path, key):
        node = node[part]
    return node


def resolve(config: Mapping | None) -> dict:
    """The config a caller passed, else the shipped one."""
    if config is None:
        return load_config()
    return dict(config)
