"""A snapshot of every asset spec: an unintended change to the graph shows in review as a diff of
``tests/snapshots/asset_graph.json``. After an intended change, regenerate it with
``SNAPSHOT_UPDATE=1 python -m pytest tests/unit/dagster_project/test_asset_graph_snapshot.py``."""

from __future__ import annotations

import json
import os
from pathlib import Path

from dagster_project.definitions import defs

SNAPSHOT = Path(__file__).resolve().parents[2] / "snapshots" / "asset_graph.json"


def graph_snapshot() -> dict:
    graph = defs.resolve_asset_graph()
    assets = {}
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        if not node.is_materializable:
            continue
        assets[key.to_user_string()] = {
            "group": node.group_name,
            "kinds": sorted(node.kinds),
            "deps": sorted(k.to_user_string() for k in node.parent_keys),
            "partitioned": node.partitions_def is not None,
            "checks": sorted(c.name for c in node.check_keys),
            "owners": sorted(node.owners),
        }
    checks = sorted(f"{k.asset_key.to_user_string()}:{k.name}" for k in graph.asset_check_keys)
    return {"assets": assets, "checks": checks,
            "jobs": sorted(j.name for j in defs.resolve_all_job_defs() if not j.name.startswith("__")),
            "schedules": sorted(s.name for s in defs.schedules or []),
            "sensors": sorted(s.name for s in defs.sensors or [])}


def test_asset_graph_matches_the_snapshot():
    current = graph_snapshot()
    if os.environ.get("SNAPSHOT_UPDATE") or not SNAPSHOT.exists():
        missing = not SNAPSHOT.exists()
        SNAPSHOT.write_text(json.dumps(current, indent=1, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")
        assert not missing, f"{SNAPSHOT} was missing: written now, commit it"
    assert json.loads(SNAPSHOT.read_text(encoding="utf-8")) == current, (
        "the asset graph changed; if intended, regenerate tests/snapshots/asset_graph.json (see the docstring)")
