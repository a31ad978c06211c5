"""The one config loader: merge rule, the user's folder for every file, validation messages."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from clientpulse_config import (
    ConfigError,
    config_dir,
    env,
    load,
    load_section,
    merge,
    shipped_dir,
    validate_all,
)
from clientpulse_config.sections import SECTIONS

SHIPPED = sorted(p.name for p in env.SHIPPED_CONFIG_DIR.glob("*.yaml"))

# one scalar per file, changed by a user copy, with a value different from the shipped one
USER_CHANGE: dict[str, tuple[tuple[str, ...], object]] = {
    "analytics.yaml": (("rfm_score_mode",), "fixed"),
    "crm_export.yaml": (("include_unreachable",), False),
    "data_standard.yaml": (("tables", "stg_orders", "id_column"), "order_no"),
    "health.yaml": (("risk_cap",), 45),
    "identity.yaml": (("splink", "match_threshold"), 0.97),
    "models.yaml": (("clusters", "k_max"), 9),
    "normalization.yaml": (("phones", "min_digits"), 9),
    "pipeline.yaml": (("schedule", "hour_of_day"), 7),
    "report.yaml": (("language",), "en"),
    "serving.yaml": (("comments",), False),
    "signals.yaml": (("trends", "window_days"), 14),
    "sources.yaml": (("reading", "sample_bytes"), 1024),
}


def nested(path: tuple[str, ...], value: object) -> dict:
    for key in reversed(path):
        value = {key: value}
    return value  # type: ignore[return-value]


def get(doc: dict, path: tuple[str, ...]):
    for key in path:
        doc = doc[key]
    return doc


def write(folder: Path, name: str, doc: object) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(yaml.safe_dump(doc, allow_unicode=True) if not isinstance(doc, str) else doc, encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def no_user_dir(monkeypatch):
    monkeypatch.delenv("CLIENTPULSE_CONFIG_DIR", raising=False)


@pytest.fixture
def user_dir(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "myconfig"
    folder.mkdir()
    monkeypatch.setenv("CLIENTPULSE_CONFIG_DIR", str(folder))
    return folder


def test_merge_mappings_by_key_lists_and_scalars_whole():
    base = {"a": {"x": 1, "y": [1, 2], "deep": {"p": 1, "q": 2}}, "b": [1, 2, 3], "c": "keep"}
    override = {"a": {"y": [9], "deep": {"q": 20}, "new": True}, "b": [4], "d": None}
    out = merge(base, override)
    assert out == {"a": {"x": 1, "y": [9], "deep": {"p": 1, "q": 20}, "new": True}, "b": [4], "c": "keep", "d": None}
    assert base["a"]["deep"] == {"p": 1, "q": 2} and base["b"] == [1, 2, 3]  # inputs untouched
    out["a"]["y"].append(10)
    assert override["a"]["y"] == [9]


def test_a_mapping_replaces_a_scalar_and_a_scalar_a_mapping():
    assert merge({"k": 1}, {"k": {"x": 1}}) == {"k": {"x": 1}}
    assert merge({"k": {"x": 1}}, {"k": 2}) == {"k": 2}


def test_every_shipped_file_has_a_section_and_a_user_change_case():
    assert set(SHIPPED) == set(SECTIONS) == set(USER_CHANGE)


def test_shipped_config_validates():
    assert validate_all() == []
    assert validate_all(shipped_dir()) == []


def test_shipped_and_user_dirs(user_dir, monkeypatch):
    assert shipped_dir() == env.SHIPPED_CONFIG_DIR
    assert config_dir() == user_dir.resolve()
    monkeypatch.delenv("CLIENTPULSE_CONFIG_DIR")
    assert config_dir() is None


@pytest.mark.parametrize("name", SHIPPED)
def test_user_copy_is_merged_over_every_shipped_file(name, user_dir):
    path, value = USER_CHANGE[name]
    shipped = yaml.safe_load((shipped_dir() / name).read_text(encoding="utf-8"))
    assert get(shipped, path) != value
    write(user_dir, name, nested(path, value))
    out = load(name)
    assert get(out, path) == value
    # the rest of the file is the shipped one
    assert out == merge(shipped, nested(path, value))


def test_user_identity_match_threshold_is_returned(user_dir):
    """The identity settings used to be read from their own variable and ignored this folder."""
    write(user_dir, "identity.yaml", {"splink": {"match_threshold": 0.99}})
    assert load("identity")["splink"]["match_threshold"] == 0.99
    assert load_section("identity.yaml").splink.match_threshold == 0.99
    assert "CLIENTPULSE_IDENTITY_CONFIG" not in {v.name for v in env.VARIABLES}


def test_explicit_folder_wins_over_the_environment(user_dir, tmp_path):
    write(user_dir, "serving.yaml", {"comments": False})
    other = tmp_path / "other"
    write(other, "serving.yaml", {"schemas": ["marts"]})
    out = load("serving", config_dir=other)
    assert out["schemas"] == ["marts"] and out["comments"] is True


def test_overrides_are_merged_last_and_validated(user_dir):
    write(user_dir, "health.yaml", {"risk_cap": 40, "bands": {"healthy": 85}})
    out = load("health", {"bands": {"watch": 60}})
    assert out["risk_cap"] == 40 and out["bands"] == {"healthy": 85, "watch": 60, "at_risk": 30}
    with pytest.raises(ConfigError) as err:
        load("health", {"risk_cap": -1})
    (problem,) = err.value.problems
    assert (problem.file, problem.key) == ("health.yaml", "risk_cap")
    assert "overrides" in problem.reason


def test_result_is_a_fresh_copy():
    first = load("signals")
    first["trends"]["window_days"] = 999
    first["negatable"].clear()
    again = load("signals")
    assert again["trends"]["window_days"] != 999 and again["negatable"]


def test_an_edited_user_file_is_read_again(user_dir):
    path = write(user_dir, "models.yaml", {"clusters": {"k_max": 8}})
    assert load("models")["clusters"]["k_max"] == 8
    write(user_dir, "models.yaml", {"clusters": {"k_max": 10}})
    stat = path.stat()
    os.utime(path, (stat.st_atime, stat.st_mtime + 5))
    assert load("models")["clusters"]["k_max"] == 10


def test_typo_key_names_file_key_and_reason(user_dir):
    path = write(user_dir, "identity.yaml", {"splink": {"match_treshold": 0.9}})
    with pytest.raises(ConfigError) as err:
        load("identity")
    (problem,) = err.value.problems
    assert (problem.file, problem.key, problem.path) == ("identity.yaml", "splink.match_treshold", path)
    assert "unknown key" in problem.reason
    assert str(problem).startswith("identity.yaml: splink.match_treshold: unknown key")


def test_wrong_type_names_file_key_and_reason(user_dir):
    path = write(user_dir, "identity.yaml", "splink:\n  match_threshold: high\n")
    with pytest.raises(ConfigError) as err:
        load("identity")
    (problem,) = err.value.problems
    assert (problem.file, problem.key, problem.path) == ("identity.yaml", "splink.match_threshold", path)
    assert "number" in problem.reason and "'high'" in problem.reason


@pytest.mark.parametrize("name, doc, key, words", [
    ("identity.yaml", {"splink": {"match_threshold": 1.5}}, "splink.match_threshold", "less than or equal to 1"),
    ("identity.yaml", {"splink": {"review_threshold": 0.99}}, "splink", "review_threshold <= match_threshold"),
    ("health.yaml", {"reasons_language": "de"}, "reasons_language", "'ru' or 'en'"),
    ("health.yaml", {"playbooks": {"silence30": "call"}}, "playbooks", "silence30"),
    ("signals.yaml", {"negatable": ["refund"]}, "negatable[0]", "refund_request"),
    ("signals.yaml", {"markers_extra": {"ultimatum": ["(unclosed"]}}, "markers_extra.ultimatum[0]", "regular expression"),
    ("models.yaml", {"churn": {"calibration": "platt"}}, "churn.calibration", "isotonic"),
    ("models.yaml", {"clusters": {"k_min": 8, "k_max": 6}}, "clusters", "k_min <= k_max"),
    ("analytics.yaml", {"rfm_recency_thresholds": [90, 30, 180, 365]}, "rfm_recency_thresholds", "ascending"),
    ("crm_export.yaml", {"targets": {"amocrm": {"encoding": "klingon"}}}, "targets.amocrm.encoding", "encoding"),
    ("data_standard.yaml", {"tables": {"t": {"id_column": "id", "rules": [
        {"name": "r", "type": "regex", "column": "c", "severity": "error"}]}}}, "tables.t.rules[0]", "needs regex"),
    ("normalization.yaml", {"names": {"placeholder_words": ["no", False]}}, "names.placeholder_words[1]", "string"),
    ("pipeline.yaml", {"as_of": {"timezone": "Mars/Olympus"}}, "as_of.timezone", "time zone"),
    ("sources.yaml", {"sources": {"crm_contact": {}}}, "sources.crm_contact", "crm_contacts"),
])
def test_wrong_values_are_caught(user_dir, name, doc, key, words):
    write(user_dir, name, doc)
    problems = validate_all()
    assert [p.key for p in problems] == [key], problems
    assert words in problems[0].reason and problems[0].file == name


def test_broken_yaml_and_a_list_document_are_reported(user_dir):
    write(user_dir, "serving.yaml", "schemas: [core, marts\n")
    write(user_dir, "health.yaml", "- risk_cap\n")
    problems = {p.file: p for p in validate_all()}
    assert set(problems) == {"serving.yaml", "health.yaml"}
    assert "not valid YAML" in problems["serving.yaml"].reason
    assert "mapping" in problems["health.yaml"].reason


def test_a_user_file_nothing_reads_is_reported(user_dir):
    write(user_dir, "identiy.yaml", {"splink": {"match_threshold": 0.99}})
    (problem,) = validate_all()
    assert problem.file == "identiy.yaml" and "no such config file is shipped" in problem.reason


def test_load_accepts_both_name_forms():
    assert load("identity") == load("identity.yaml")
    with pytest.raises(ConfigError):
        load("no_such_file")
