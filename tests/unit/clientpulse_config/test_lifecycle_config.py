"""The lifecycle keys of config/analytics.yaml: the dead guards and per-category cycles are checked
and reach dbt as vars (docs/methods.md, "Purchase cycles and lifecycle states")."""

from __future__ import annotations

import json

import pytest
import yaml

from clientpulse_config import load, validate_all
from clientpulse_config.dbt_vars import analytics_vars_json


@pytest.fixture
def user_dir(tmp_path, monkeypatch):
    folder = tmp_path / "myconfig"
    folder.mkdir()
    monkeypatch.setenv("CLIENTPULSE_CONFIG_DIR", str(folder))
    return folder


def _write(folder, doc):
    (folder / "analytics.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")


def test_shipped_guards(monkeypatch):
    monkeypatch.delenv("CLIENTPULSE_CONFIG_DIR", raising=False)
    cfg = load("analytics")
    assert (cfg["dead_min_days"], cfg["dead_own_cycles"], cfg["dead_frequent_purchases"]) == (365, 3, 10)
    assert cfg["dead_min_days"] <= cfg["dead_after_days"] and cfg["category_cycle_days"] == {}


def test_category_cycles_reach_dbt_as_a_mapping(user_dir):
    _write(user_dir, {"category_cycle_days": {"Расходные материалы": 21, "Мебель": 730.5}})
    dbt_vars = json.loads(analytics_vars_json("2026-09-15"))
    assert dbt_vars["category_cycle_days"] == {"Расходные материалы": 21, "Мебель": 730.5}
    assert dbt_vars["dead_min_days"] == 365  # the rest stays as shipped


@pytest.mark.parametrize("doc, key, words", [
    ({"dead_min_days": 800}, "", "dead_min_days <= dead_after_days"),
    ({"category_cycle_days": {"Мебель": 0}}, "category_cycle_days.Мебель", "greater than 0"),
    ({"category_cycle_days": {"Мебель": "years"}}, "category_cycle_days.Мебель", "number"),
    ({"category_cycle_days": [21]}, "category_cycle_days", "dict"),
    ({"dead_own_cycles": -1}, "dead_own_cycles", "greater than 0"),
    ({"dead_frequent_purchases": 2.5}, "dead_frequent_purchases", "integer"),
])
def test_wrong_lifecycle_values_are_caught(user_dir, doc, key, words):
    _write(user_dir, doc)
    problems = validate_all()
    assert [p.key for p in problems] == [key], problems
    assert words in problems[0].reason and problems[0].file == "analytics.yaml"
