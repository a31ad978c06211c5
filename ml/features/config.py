"""Defaults for a partial models config, from the one config loader."""
from __future__ import annotations

from collections.abc import Mapping

from clientpulse_config import load


def setting(section: Mapping | None, key: str, *path: str):
    """``section[key]``, else the configured ``models.yaml`` value at ``path + key``, so a caller's
    config without the key (an older copy, a test's partial section) still gets it."""
    if section is not None and key in section:
        return section[key]
    node = load("models")
    for part in (*path, key):
        node = node[part]
    return node
