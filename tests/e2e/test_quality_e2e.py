"""Data quality end to end on generated data: quarantine without loss, reconciliation with staging,
coverage «точка А» and its history, and the daily job with the quality checks and CRM file wired in.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from clientpulse_config.dbt_vars import analytics_vars_json
from tests.support.pipeline import SAMPLE_AS_OF, failure_messages, run_pipeline

DBT_DIR = Path(__file__).resolve().parents[2] / "dbt"


def _con(path: Path):
    return duckdb.connect(str(path), read_only=True)


def test_quality_models_reconcile_with_staging(generated_run):
    with _con(generated_run.warehouse) as con:
        staging = con.execute("SELECT count(*) FROM staging.stg_crm_contacts").fetchone()[0]
        q = con.execute(
            """SELECT count(*), count(DISTINCT (_source_file, _line)), count(*) FILTER (WHERE is_quarantined),
                      min(completeness_score), max(completeness_score)
               FROM quality.quality_contact_records"""
        ).fetchone()
        by_source = con.execute("SELECT sum(contacts) FROM quality.quality_by_source").fetchone()[0]
        by_manager = con.execute("SELECT sum(contacts) FROM quality.quality_by_manager").fetchone()[0]
        customers = con.execute("SELECT count(*) FROM core.customers").fetchone()[0]
        completeness = con.execute("SELECT count(*) FROM quality.quality_customer_completeness").fetchone()[0]
        reasons = dict(
            con.execute(
                "SELECT r, count(*) FROM (SELECT unnest(dq_reasons) AS r FROM quality.quality_contact_records) GROUP BY r"
            ).fetchall()
        )
        quarantine_ok = con.execute(
            """SELECT count(*) FROM quality.quality_contact_records
               WHERE is_quarantined <> (len(dq_blocking_reasons) > 0)
                  OR (list_contains(dq_reasons, 'no_contact_channel') AND NOT is_quarantined)"""
        ).fetchone()[0]
    assert q[0] == staging and q[1] == staging  # one row per staging row: quarantined, not lost
    assert 0 < q[2] < staging
    assert 0 <= q[3] <= q[4] <= 100
    assert by_source == staging and by_manager == staging
    assert completeness == customers
    assert quarantine_ok == 0
    # the generator's deliberate junk is flagged with machine-readable codes
    for code in ("name_placeholder", "phone_junk", "email_junk", "email_role", "phone_missing", "email_missing"):
        assert reasons.get(code, 0) > 0, code


def test_coverage_point_a_and_history(generated_run):
    with _con(generated_run.warehouse) as con:
        cov = {r[0]: r[1:] for r in con.execute(
            """SELECT source, records, customers, customers_with_valid_email, customers_with_valid_phone,
                      customers_with_both, customers_reachable, reachable_share, as_of::varchar
               FROM quality.quality_coverage"""
        ).fetchall()}  # fmt: skip
        identity = dict(con.execute("SELECT source, count(*) FROM core.customer_identity GROUP BY 1").fetchall())
        customers, valid_email, valid_phone = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE has_valid_email), count(*) FILTER (WHERE has_valid_phone) FROM core.customers"
        ).fetchone()
        history = con.execute(
            "SELECT as_of::varchar, count(*) FROM quality.quality_coverage_history GROUP BY 1"
        ).fetchall()
    assert set(cov) == {*identity, "all"}
    for source, n in identity.items():
        assert cov[source][0] == n
    records, n_customers, email, phone, both, reachable, share, as_of = cov["all"]
    assert (records, n_customers, email, phone) == (sum(identity.values()), customers, valid_email, valid_phone)
    assert both <= min(email, phone) and reachable == email + phone - both
    assert share == pytest.approx(reachable / customers, abs=1e-4)
    assert as_of == SAMPLE_AS_OF
    assert history == [(SAMPLE_AS_OF, len(cov))]


def _dbt(warehouse: Path, target: Path, as_of: str, select: str) -> None:
    env = {**os.environ, "CLIENTPULSE_WAREHOUSE": str(warehouse), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    proc = subprocess.run(
        [str(Path(sys.executable).with_name("dbt")), "build", "--project-dir", str(DBT_DIR), "--profiles-dir",
         str(DBT_DIR), "--target-path", str(target), "--select", select, "--vars", analytics_vars_json(as_of)],
        capture_output=True, text=True, env=env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:]


def test_coverage_history_keeps_one_snapshot_per_as_of(generated_run, tmp_path):
    wh = tmp_path / "warehouse.duckdb"
    shutil.copy(generated_run.warehouse, wh)
    select = "quality_coverage quality_coverage_history"
    _dbt(wh, tmp_path / "target", "2026-11-16", select)
    _dbt(wh, tmp_path / "target", "2026-11-16", select)  # re-run of the same date replaces it
    with _con(wh) as con:
        rows = dict(con.execute("SELECT as_of::varchar, count(*) FROM quality.quality_coverage_history GROUP BY 1").fetchall())
        per_date = con.execute("SELECT count(*) FROM quality.quality_coverage").fetchone()[0]
    assert rows == {SAMPLE_AS_OF: per_date, "2026-11-16": per_date}


def test_daily_job_with_quality_checks_passes_on_generated_data(tmp_path):
    """The clean generated sample (with its deliberate junk) passes every blocking check, the
    quality marts are built, the Data Docs and the CRM import files are written."""
    from dagster_project.defs.quality.checks import standard_checks
    from sample_data import generate

    landing = tmp_path / "landing"
    generate(customers=150, seed=11, out_dir=landing, end_date=SAMPLE_AS_OF)
    result = run_pipeline(tmp_path, landing, SAMPLE_AS_OF).result
    assert result.success, failure_messages(result)
    evals = {(tuple(e.asset_key.path), e.check_name): e for e in result.get_asset_check_evaluations()}
    ours = {(tuple(s.asset_key.path), s.name): s for c in standard_checks for s in c.check_specs}
    assert set(ours) <= set(evals)
    blocking_failed = [k for k, s in ours.items() if s.blocking and not evals[k].passed]
    assert blocking_failed == []
    assert (tmp_path / "quality_docs" / "index.html").is_file()
    assert (tmp_path / "export" / "amocrm_contacts.csv").is_file()
    assert (tmp_path / "export" / "bitrix24_contacts.csv").is_file()
    mat = [m for m in result.get_asset_materialization_events() if m.asset_key == dg.AssetKey(["serving", "crm_import_file"])]
    with _con(tmp_path / "warehouse.duckdb") as con:
        customers = con.execute("SELECT count(*) FROM core.customers").fetchone()[0]
    meta = {k: v.value for k, v in mat[0].materialization.metadata.items()} if mat else {}
    # customers with no name, phone or e-mail are left out of the CRM file and counted
    assert meta and meta["amocrm_rows"] + meta["customers_left_out"] + meta["customers_filtered"] == customers
    with open(tmp_path / "export" / "bitrix24_contacts.csv", encoding="cp1251", newline="") as fh:
        assert sum(1 for _ in csv.reader(fh, delimiter=";")) == meta["bitrix24_rows"] + 1
