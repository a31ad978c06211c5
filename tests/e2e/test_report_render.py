"""The daily report of a real run, drawn by headless Chromium from disk: every chart spec became an
<svg> (in both languages), the empty states are the explained ones, the digest matches the
warehouse, and the page loads nothing from the network.

Reuses the session's pipeline run (`generated_run`, tests/conftest.py). Skipped only when no
Chromium can be found and apt cannot install it (`make browser` installs it)."""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess

import duckdb
import pytest

from reporting.charts import CHARTS
from reporting.labels import code, t

REPORT = ("report", "index.html")


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if shutil.which("apt-get") and os.geteuid() == 0:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True, timeout=600)
        subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], env=env, capture_output=True, timeout=900)
        found = shutil.which("chromium")
        if found:
            return found
        pytest.fail("chromium is missing and apt-get could not install it")
    pytest.skip("no chromium on PATH and apt-get is unavailable (or not root): cannot draw the report")


def dump_dom(browser: str, page, profile) -> str:
    out = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", "--disable-sync", f"--user-data-dir={profile}",
         "--virtual-time-budget=5000", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout


@pytest.fixture(scope="module")
def report(generated_run):
    path = generated_run.root.joinpath(*REPORT)
    assert path.exists(), "serving/daily_report did not write <data dir>/report/index.html"
    return generated_run, path


def test_asset_metadata_points_at_the_file(report):
    run, path = report
    events = [e for e in run.result.get_asset_materialization_events()
              if e.asset_key.to_user_string() == "serving/daily_report"]
    assert len(events) == 1
    meta = events[0].materialization.metadata
    assert meta["dagster/uri"].value == str(path) and meta["path"].value == str(path)
    assert meta["charts_drawn"].value + meta["charts_empty"].value == len(CHARTS)
    assert meta["bytes"].value == path.stat().st_size
    checks = [c for c in run.result.get_asset_check_evaluations()
              if c.asset_key.to_user_string() == "serving/daily_report"]
    assert [c.check_name for c in checks] == ["every_chart_has_data"]
    assert checks[0].passed == (meta["charts_empty"].value == 0)


def test_page_is_self_contained(report):
    _, path = report
    page = path.read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]+src=", page)
    assert not re.search(r"""(src|href)\s*=\s*["']?https?:""", page)
    assert "window.vegaEmbed=" in page


def test_every_chart_drew_in_chromium_in_both_languages(report, tmp_path):
    run, path = report
    browser = chromium()
    page = path.read_text(encoding="utf-8")
    specs = int(re.search(r'data-charts-specs="(\d+)"', page).group(1))
    empty = re.findall(r'data-chart-empty="(\w+)"', page)
    assert specs + len(empty) == len(CHARTS) and specs >= len(CHARTS) - 3
    # a single run has no earlier snapshot: the migration explains itself instead of drawing
    assert "migration" in empty and "Первый запуск" in page

    assert '<body data-lang="ru"' in page  # config/report.yaml opens the page in Russian
    english = tmp_path / "index_en.html"
    english.write_text(page.replace('<body data-lang="ru"', '<body data-lang="en"', 1), encoding="utf-8")
    for lang, file in (("ru", path), ("en", english)):
        dom = dump_dom(browser, file, tmp_path / f"profile-{lang}")
        assert f'data-charts-rendered="{specs}"' in dom, f"{lang}: not every chart finished drawing"
        assert "data-error=" not in dom
        assert f">{t('r_score', lang)}</text>" in dom  # the axis titles of the shown language
        boxes = [(m.group(1), re.search(r'data-rendered="(\w+)"', m.group(2)), m.group(3)) for m in
                 re.finditer(r'<div [^>]*id="chart-(\w+)"([^>]*)>(.*?)</section>', dom, re.S)]
        assert len(boxes) == specs
        for key, rendered, inner in boxes:
            assert rendered and rendered.group(1) == lang, f"{lang}: chart {key} not marked data-rendered"
            assert "<svg" in inner, f"{lang}: chart {key} has no <svg>"


def test_digest_matches_the_warehouse(report):
    run, path = report
    page = path.read_text(encoding="utf-8")
    with duckdb.connect(str(run.warehouse), read_only=True) as con:
        lists = con.execute("select list_name, count(distinct customer_id) from marts.mart_action_list "
                            "group by all").fetchall()
        digests = con.execute("select count(*) from ml.alert_digests").fetchone()[0]
        top = con.execute("select full_name from marts.customer_360 where risk_stage in ('at_risk', 'potential_churn') "
                          "and value_at_risk > 0 order by value_at_risk desc limit 1").fetchone()
    assert lists
    for name, customers in lists:
        assert f"<td>{code(name, 'ru')}</td><td>{customers:,}</td>".replace(",", "\u202f") in page
    if digests:  # the first run posts per-manager digests, and the report says so
        assert f"сводки по менеджерам ({digests})" in page
    if top:
        movers = page.split('id="digest-movers"', 1)[1].split("</section>", 1)[0]
        assert f"<td>{html.escape(top[0])}</td>" in movers
