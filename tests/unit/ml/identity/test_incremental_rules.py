"""When a daily run may reuse the saved Splink model and pairs (ml.identity.incremental)."""

from __future__ import annotations

import datetime as dt

import pytest

from clientpulse_config import load
from ml.identity.incremental import SavedModel, fingerprint, incremental_settings, reuse_blocker

DAY = dt.date(2026, 11, 15)


@pytest.fixture()
def cfg():
    return load("identity")


def _saved(cfg, trained=DAY - dt.timedelta(days=1), comparisons=("name",), rules=("l.a = r.a",)):
    return SavedModel({"probability_two_random_records_match": 1e-4,
                       "blocking_rules_to_generate_predictions": [{"blocking_rule": "x", "sql_dialect": "duckdb"}]},
                      fingerprint(cfg, list(comparisons), list(rules)), trained, "splink", [], [])


def _blocker(cfg, saved, as_of=DAY, backend="duckdb", rows=10_000, **inc):
    return reuse_blocker(saved, fingerprint(cfg, ["name"], ["l.a = r.a"]), as_of,
                         {**cfg["splink"]["incremental"], **inc}, backend, rows,
                         cfg["splink"]["min_records_for_training"])


def test_a_fresh_model_of_the_same_configuration_is_reused(cfg):
    assert _blocker(cfg, _saved(cfg)) is None


@pytest.mark.parametrize("case, expected", [
    ("first run", "first run"),
    ("disabled", "disabled"),
    ("spark", "DuckDB backend only"),
    ("tiny", "too few rows"),
    ("columns changed", "columns the data fills changed"),
    ("old", "8 days old"),
    ("from the future", "after this run's date"),
])
def test_each_reason_to_retrain_is_named(cfg, case, expected):
    saved = _saved(cfg)
    why = {
        "first run": lambda: _blocker(cfg, None),
        "disabled": lambda: _blocker(cfg, saved, enabled=False),
        "spark": lambda: _blocker(cfg, saved, backend="spark"),
        "tiny": lambda: _blocker(cfg, saved, rows=10),
        "columns changed": lambda: _blocker(cfg, _saved(cfg, comparisons=("name", "phone"))),
        "old": lambda: _blocker(cfg, _saved(cfg, trained=DAY - dt.timedelta(days=8))),
        "from the future": lambda: _blocker(cfg, _saved(cfg, trained=DAY + dt.timedelta(days=1))),
    }[case]()
    assert why is not None and expected in why


def test_the_fingerprint_follows_the_model_configuration_not_the_incremental_knobs(cfg):
    base = fingerprint(cfg, ["name"], ["l.a = r.a"])
    knobs = load("identity", {"splink": {"incremental": {"max_dirty_share": 0.5}, "memory_share": 0.5}})
    assert fingerprint(knobs, ["name"], ["l.a = r.a"]) == base
    model = load("identity", {"splink": {"match_threshold": 0.97}})
    assert fingerprint(model, ["name"], ["l.a = r.a"]) != base
    assert fingerprint(cfg, ["name"], ["l.b = r.b"]) != base


def test_the_saved_model_predicts_only_pairs_with_a_dirty_side(cfg):
    settings = incremental_settings(_saved(cfg), ["l.a = r.a", "l.b = r.b"])
    assert settings["blocking_rules_to_generate_predictions"] == [
        "(l.a = r.a) AND l.det <> r.det AND (l.is_dirty OR r.is_dirty)",
        "(l.b = r.b) AND l.det <> r.det AND (l.is_dirty OR r.is_dirty)"]
    assert settings["probability_two_random_records_match"] == 1e-4
