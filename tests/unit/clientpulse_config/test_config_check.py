"""`clientpulse check-config` (run_check), the light import, and the dbt vars from analytics.yaml."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path

import yaml

from clientpulse_config import shipped_dir
from clientpulse_config.check import run_check
from clientpulse_config.dbt_vars import analytics_vars, analytics_vars_json

ROOT = Path(__file__).resolve().parents[3]


def test_shipped_config_passes(monkeypatch):
    monkeypatch.delenv("CLIENTPULSE_CONFIG_DIR", raising=False)
    out = io.StringIO()
    assert run_check(out=out) == 0
    assert out.getvalue().startswith("config ok")


def test_one_line_per_problem_and_exit_code_2(tmp_path):
    (tmp_path / "identity.yaml").write_text("splink:\n  match_treshold: 0.9\n  seed: many\n", encoding="utf-8")
    (tmp_path / "serving.yaml").write_text("schemas: []\n", encoding="utf-8")
    out = io.StringIO()
    assert run_check(tmp_path, out=out) == 2
    lines = out.getvalue().splitlines()
    assert len(lines) == 3
    assert any(re.match(r"identity\.yaml: splink\.match_treshold: unknown key", line) for line in lines)
    assert any(re.match(r"identity\.yaml: splink\.seed: .*integer", line) for line in lines)
    assert any(line.startswith("serving.yaml: schemas: ") for line in lines)


def test_the_environment_folder_is_checked_and_a_missing_folder_fails(tmp_path, monkeypatch):
    (tmp_path / "models.yaml").write_text("clusters: {k_min: 0}\n", encoding="utf-8")
    monkeypatch.setenv("CLIENTPULSE_CONFIG_DIR", str(tmp_path))
    out = io.StringIO()
    assert run_check(out=out) == 2 and out.getvalue().startswith("models.yaml: clusters.k_min: ")
    assert run_check(tmp_path / "absent", out=io.StringIO()) == 2


def test_config_layer_imports_no_heavy_package():
    code = (
        "import sys\n"
        "import clientpulse_config, clientpulse_config.check, clientpulse_config.dbt_vars\n"
        "assert clientpulse_config.validate_all() == []\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'pandas', 'numpy', 'dagster', 'splink', 'duckdb'})\n"
        "print(','.join(heavy))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""


def test_dbt_vars_are_the_analytics_file_plus_as_of(tmp_path):
    shipped = yaml.safe_load((shipped_dir() / "analytics.yaml").read_text(encoding="utf-8"))
    assert analytics_vars() == shipped
    (tmp_path / "analytics.yaml").write_text("rfm_score_mode: fixed\ndq_birth_date_min: 1901-01-01\n", encoding="utf-8")
    got = json.loads(analytics_vars_json("2024-05-01", config_dir=tmp_path))
    assert got == {**shipped, "rfm_score_mode": "fixed", "dq_birth_date_min": "1901-01-01", "as_of": "2024-05-01"}


def test_dbt_macros_repeat_no_analytics_value():
    """analytics.yaml is the one place of the dbt thresholds: no macro declares a default for them."""
    keys = yaml.safe_load((shipped_dir() / "analytics.yaml").read_text(encoding="utf-8"))
    macros = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "dbt" / "macros").glob("*.sql"))
    repeated = [k for k in keys if re.search(rf"['\"]{k}['\"]\s*:", macros) or re.search(rf"var\(\s*['\"]{k}['\"]\s*,", macros)]
    assert repeated == []
