"""build_report on tiny hand-made warehouses: the numbers in the specs and the digest, the empty
states of missing, empty and malformed tables, both languages, and a page that stays one file."""

from __future__ import annotations

import datetime as dt
import json
import re

import duckdb
import pandas as pd
import pytest

from reporting import build_report, render
from reporting.charts import CHARTS, lift_table
from reporting.labels import LANGS, TEXT

AS_OF = dt.date(2026, 11, 15)
PREV = dt.date(2026, 10, 15)
FAKE_JS = "window.vegaEmbed = function () { return Promise.resolve(); };"


def specs_of(page: str) -> dict:
    body = re.search(r'<script type="application/json" id="report-specs">(.*?)</script>', page, re.S).group(1)
    return json.loads(body.replace("<\\/", "</"))


def values(spec: dict) -> list[dict]:
    """Rows of a spec's inline data (Altair puts them in ``datasets``)."""
    return [row for rows in spec.get("datasets", {}).values() for row in rows]


def make_warehouse(con: duckdb.DuckDBPyConnection, *, first_run: bool = False) -> None:
    for schema in ("marts", "ml", "quality"):
        con.execute(f"create schema {schema}")
    con.execute("""create table marts.mart_customer_rfm as select * from (values
        ('c1', 5, 1, 1, 100.0, 'New', 'Новички', DATE '2026-11-15'),
        ('c2', 5, 1, 1, 300.0, 'New', 'Новички', DATE '2026-11-15'),
        ('c3', 5, 1, 1, 200.0, 'Promising', 'Перспективные', DATE '2026-11-15'),
        ('c4', 1, 5, 9, 900.0, 'Can''t Lose Them', 'Нельзя потерять', DATE '2026-11-15'),
        ('c5', null, null, 0, 0.0, 'No purchases', 'Без покупок', DATE '2026-11-15'))
        t(customer_id, r_score, f_score, frequency, monetary, rfm_segment, rfm_segment_ru, as_of)""")
    con.execute("""create table marts.mart_risk_value_matrix as select * from (values
        (DATE '2026-11-15', 'active', 'bronze', 1, 2, 300.0),
        (DATE '2026-11-15', 'potential_churn', 'platinum', 5, 1, 900.0),
        (DATE '2026-10-15', 'active', 'bronze', 1, 99, 1.0))
        t(as_of, risk_stage, value_tier, action_level, customers, revenue)""")
    prev = "null" if first_run else "DATE '2026-10-15'"
    con.execute(f"""create table marts.mart_segment_migration as select * from (values
        (DATE '2026-11-15', {prev}, 'c1', 'Promising', 'New', 'active', 'at_risk'),
        (DATE '2026-11-15', {prev}, 'c2', 'Promising', 'New', 'active', 'active'),
        (DATE '2026-11-15', {prev}, 'c4', 'Champions', 'Can''t Lose Them', 'active', 'potential_churn'),
        (DATE '2026-11-15', {prev}, 'c3', 'Promising', 'Promising', 'at_risk', 'active'))
        t(as_of, previous_as_of, customer_id, from_rfm_segment, to_rfm_segment, from_risk_stage, to_risk_stage)""")
    con.execute("""create table quality.quality_coverage_history as select * from (values
        (DATE '2026-10-15', 'all', 0.5, 0.4, 0.3, 0.2), (DATE '2026-11-15', 'all', 0.6, 0.5, 0.4, 0.3),
        (DATE '2026-11-15', 'crm_contact', 0.9, 0.9, 0.9, 0.9), (DATE '2026-12-15', 'all', 1.0, 1.0, 1.0, 1.0))
        t(as_of, source, reachable_share, valid_email_share, valid_phone_share, both_share)""")
    con.execute("""create table ml.health_scores as select * from (values
        ('c1', 100.0, 'healthy'), ('c2', 95.0, 'healthy'), ('c3', 42.0, 'at_risk'), ('c4', 5.0, 'critical'))
        t(customer_id, health_score, health_band)""")
    deciles = [{"decile": i, "n": 10, "mean_predicted": i / 10, "observed_rate": i / 10} for i in range(1, 11)]
    metrics = {"method": "hgb", "selected": "hgb", "validation_cutoff": "2026-08-18",
               "candidates": {"hgb": {"base_rate": 0.55, "brier": 0.1, "lift_top10": 1.8, "calibration": deciles}}}
    con.execute("create table ml.model_runs (model varchar, model_kind varchar, fallback_reason varchar, "
                "metrics varchar, as_of date)")
    con.execute("insert into ml.model_runs values ('churn', 'hgb', '', ?, ?), ('toxicity', 'hgb', '', '{}', ?)",
                [json.dumps(metrics), AS_OF, AS_OF])
    con.execute("create table ml.churn_scores as select 'c' || i as customer_id, 0.5 as churn_probability "
                "from range(4) r(i)")
    con.execute("""create table ml.cluster_profiles as select * from (values
        (1, 'Чемпионы', 'Champions', 2, '{"frequency": 9.0, "recency_days": 10.0}'),
        (2, 'Спящие', 'Sleeping', 2, '{"frequency": 1.0, "recency_days": 400.0}'))
        t(cluster_id, cluster_name_ru, cluster_name_en, size, centroid)""")
    con.execute("""create table quality.quality_by_source as select * from (values
        ('contacts.csv', 3, 0.1, 0.0, 0.2, 0.05, 0.8, 0.7)) t(source_file, rejected_rows, quarantined_share,
        placeholder_name_share, junk_email_share, no_contact_channel_share, valid_phone_share, valid_email_share)""")
    con.execute("""create table quality.quality_by_manager as select * from (values
        ('Иванов', 10, 80.0, 0.1), ('Петров', 5, 40.0, 0.4)) t(manager, contacts, mean_completeness, quarantined_share)""")
    con.execute("""create table marts.mart_action_list as select * from (values
        (DATE '2026-11-15', 'goodbye', 'c4', true, 500.0), (DATE '2026-11-15', 'goodbye', 'c3', true, 100.0),
        (DATE '2026-11-15', 'reactivation', 'c4', false, 500.0), (DATE '2026-11-15', 'reactivation', 'c1', true, 50.0),
        (DATE '2026-11-15', 'goodbye', 'c1', false, 50.0))
        t(as_of, list_name, customer_id, is_primary, value_at_risk)""")
    con.execute("""create table marts.mart_rfcm_alarm as select * from (values
        (DATE '2026-11-15', true, 0.25, 0.1)) t(as_of, is_alarm, share_low_c_and_r, threshold_share)""")
    con.execute("""create table ml.alerts as select * from (values
        (DATE '2026-11-15', 'Анна', 'Иванов', 'active', 'at_risk', 100.0, 'тишина'),
        (DATE '2026-11-15', 'Борис', null, 'at_risk', 'potential_churn', 700.0, 'ультиматум'),
        (DATE '2026-10-15', 'Старый', null, 'active', 'at_risk', 9999.0, 'вчера'))
        t(as_of, full_name, manager, previous_stage, risk_stage, value_at_risk, reasons)""")
    con.execute("""create table marts.customer_360 as select * from (values
        ('c1', 'Анна', 'Иванов', 'at_risk', 100.0), ('c2', 'Вера', 'Иванов', 'active', 0.0),
        ('c3', 'Глеб', null, 'active', 30.0), ('c4', 'Борис', null, 'potential_churn', 700.0))
        t(customer_id, full_name, manager, risk_stage, value_at_risk)""")


@pytest.fixture
def con():
    connection = duckdb.connect()
    make_warehouse(connection)
    yield connection
    connection.close()


def test_every_chart_drawn_with_its_numbers(con):
    report = render(con, AS_OF, javascript=FAKE_JS)
    assert report.drawn == [key for key, _ in CHARTS] and report.empty == {}
    specs = specs_of(report.html)
    assert set(specs) == {key for key, _ in CHARTS} and all(set(s) == set(LANGS) for s in specs.values())
    assert report.html.count('class="chart"') == len(CHARTS)
    assert f'data-charts-specs="{len(CHARTS)}"' in report.html

    cells = {(r["r_score"], r["f_score"]): r for r in values(specs["rfm_heatmap"]["ru"])}
    assert set(cells) == {(5, 1), (1, 5)}  # the non-buyer is left out
    assert cells[(5, 1)]["customers"] == 3 and cells[(5, 1)]["mean_monetary"] == 200
    assert cells[(5, 1)]["segment"] == "Новички"
    assert values(specs["rfm_heatmap"]["en"])[0]["segment"] in {"New", "Can't Lose Them"}

    matrix = values(specs["risk_value"]["ru"])
    assert sorted(r["customers"] for r in matrix) == [1, 2]  # only the latest snapshot
    scale = specs["risk_value"]["en"]["layer"][0]["encoding"]["color"]["scale"]
    assert scale == {"domain": [1, 5], "range": ["#2e7d32", "#c62828"]}

    moves = {(r["from_rfm_segment"], r["to_rfm_segment"]): r["customers"] for r in values(specs["migration"]["en"])}
    assert moves == {("Promising", "New"): 2, ("Champions", "Can't Lose Them"): 1, ("Promising", "Promising"): 1}
    assert ("Перспективные", "Новички") in {(r["from_rfm_segment"], r["to_rfm_segment"])
                                            for r in values(specs["migration"]["ru"])}

    coverage = values(specs["coverage"]["en"])
    assert {r["as_of"][:10] for r in coverage} == {"2026-10-15", "2026-11-15"}  # 'all' only, none after as_of
    assert len(coverage) == 8

    bins = {(r["bin"], r["health_band"]): r["customers"] for r in values(specs["health"]["en"])}
    assert bins == {(90, "healthy"): 2, (40, "at_risk"): 1, (0, "critical"): 1}  # 100 falls in the top bin

    lift = values(specs["lift"]["en"])
    top = [r for r in lift if r.get("rank") == 1][0]
    assert top["lift"] == pytest.approx(1.0 / 0.55)
    managers = {r["manager"]: r["mean_completeness"] for r in values(specs["dq_manager"]["ru"])}
    assert managers == {"Иванов": 80.0, "Петров": 40.0}
    assert "Brier 0.100" in report.html and "n=100" in report.html


def test_lift_table_orders_from_the_highest_scores():
    d = pd.DataFrame({"decile": [1, 2], "n": [10, 30], "mean_predicted": [0.1, 0.9], "observed_rate": [0.0, 0.5]})
    base = (30 * 0.5) / 40
    out = lift_table(d, base)
    assert out["rank"].tolist() == [1, 2] and out.mean_predicted.tolist() == [0.9, 0.1]
    assert out.lift.tolist() == pytest.approx([0.5 / base, 0.0])
    assert out.cumulative_lift.tolist() == pytest.approx([0.5 / base, 1.0])


def test_digest_numbers(con):
    report = render(con, AS_OF, javascript=FAKE_JS, top_n=5)
    blocks = {b.key: b for b in report.blocks}
    lists = blocks["action_lists"].table.set_index("list_name")
    assert lists.loc["goodbye", "customers"] == 3 and lists.loc["goodbye", "primary_customers"] == 2
    assert lists.loc["reactivation", "value_at_risk"] == 550
    assert "25.0 %" in blocks["rfcm_alarm"].text["ru"] and blocks["rfcm_alarm"].text["en"].startswith("ALARM")
    crossed = blocks["crossed"].table
    assert crossed.full_name.tolist() == ["Борис", "Анна"]  # today's only, largest value at risk first
    movers = blocks["movers"].table
    assert movers.full_name.tolist() == ["Борис", "Анна", "Глеб"]  # c2 kept its stage
    assert movers.direction.tolist() == ["worse", "worse", "better"]
    assert "ALARM" in report.html and "ТРЕВОГА" in report.html
    assert "<td>прощальное письмо</td><td>3</td><td>2</td><td>650</td>" in report.html
    assert "<td>reactivation</td><td>2</td><td>1</td><td>550</td>" in report.html


def test_first_run_explains_the_migration_and_falls_back_for_movers():
    con = duckdb.connect()
    make_warehouse(con, first_run=True)
    report = render(con, AS_OF, javascript=FAKE_JS)
    assert "migration" not in report.drawn and report.empty["migration"] == TEXT["first_run"]["en"]
    assert 'data-chart-empty="migration"' in report.html and TEXT["first_run"]["ru"] in report.html
    movers = {b.key: b for b in report.blocks}["movers"]
    assert movers.text["en"] == TEXT["movers_fallback"]["en"]
    assert movers.table.full_name.tolist() == ["Борис", "Анна"]  # at risk, largest value at risk first
    assert any(w.startswith("migration: empty state") for w in report.warnings)


def test_an_empty_warehouse_gives_a_page_of_explained_empty_states():
    con = duckdb.connect()
    report = render(con, AS_OF, javascript=FAKE_JS)
    assert report.drawn == [] and len(report.empty) == len(CHARTS)
    assert report.html.count("data-chart-empty=") == len(CHARTS)
    assert "Table marts.mart_customer_rfm is not in the warehouse" in report.empty["rfm_heatmap"]
    assert specs_of(report.html) == {}
    assert report.html.count("data-block-empty=") == 4


def test_missing_columns_malformed_values_and_no_labels_degrade(con):
    con.execute("alter table quality.quality_by_manager drop column mean_completeness")
    con.execute("delete from ml.health_scores")
    con.execute("create or replace table ml.health_scores as select 'c1' as customer_id, 'abc' as health_score, "
                "'healthy' as health_band")
    con.execute("update ml.model_runs set model_kind = 'bgnbd_p_alive', fallback_reason = 'too_few_positives: 3', "
                "metrics = '{\"method\": \"bgnbd_p_alive\"}' where model = 'churn'")
    report = render(con, AS_OF, javascript=FAKE_JS)
    assert "mean_completeness" in report.empty["dq_manager"]
    assert report.empty["health"].startswith("The table could not be read")
    assert any(w.startswith("health:") and "health_score" in w for w in report.warnings)
    for key in ("calibration", "lift"):
        assert "bgnbd_p_alive" in report.empty[key] and "too_few_positives" in report.empty[key]
    assert len(report.drawn) == len(CHARTS) - 4


def test_languages_and_escaping(con):
    con.execute("update ml.alerts set full_name = '</script><b>x</b>' where full_name = 'Анна'")
    page = build_report(con, AS_OF, lang="en", javascript=FAKE_JS)
    assert '<html lang="en">' in page and 'data-lang="en"' in page
    assert "&lt;/script&gt;&lt;b&gt;x&lt;/b&gt;" in page and "<b>x</b>" not in page
    assert page.count("</script>") == 3  # the bundle, the specs, the page script
    with pytest.raises(ValueError, match="unknown report language"):
        build_report(con, AS_OF, lang="de", javascript=FAKE_JS)


def test_every_text_in_both_languages():
    assert all(set(v) == set(LANGS) and all(v.values()) for v in TEXT.values())


def test_real_page_is_self_contained(con):
    page = build_report(con, AS_OF)
    assert "window.vegaEmbed=" in page and len(page) > 500_000
    assert not re.search(r"<script[^>]+src=", page) and not re.search(r"""(src|href)\s*=\s*["']?https?:""", page)
    assert not re.search(r'<link[^>]+rel="stylesheet"', page)


def test_first_run_shows_the_manager_digests_instead_of_alerts(con):
    con.execute("delete from ml.alerts")
    con.execute("""create table ml.alert_digests as select * from (values
        (DATE '2026-11-15', 'Иванов', 2, 300.0), (DATE '2026-11-15', null, 1, 900.0),
        (DATE '2026-10-15', 'Старый', 9, 1.0)) t(as_of, manager, customers, value_at_risk)""")
    report = render(con, AS_OF, javascript=FAKE_JS)
    crossed = {b.key: b for b in report.blocks}["crossed"]
    assert crossed.table.customers.tolist() == [1, 2] and crossed.table.manager.tolist()[1] == "Иванов"
    assert crossed.text["en"] == TEXT["crossed_digest"]["en"].format(n=2)
    con.execute("delete from ml.alert_digests")
    crossed = {b.key: b for b in render(con, AS_OF, javascript=FAKE_JS).blocks}["crossed"]
    assert crossed.table is None and crossed.empty["en"] == "Table ml.alerts has no rows for this date."


def test_the_bundle_is_kept_beside_the_report_and_rebuilt_when_broken(tmp_path):
    from reporting.build import cached_javascript, vega_javascript

    first = cached_javascript(tmp_path)
    files = list(tmp_path.glob(".vega-bundle-*.js"))
    assert first == vega_javascript() and len(files) == 1
    files[0].write_text("truncated", encoding="utf-8")
    assert cached_javascript(tmp_path) == first and files[0].read_text(encoding="utf-8") == first
