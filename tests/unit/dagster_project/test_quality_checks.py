"""The data-filling standard as Dagster asset checks, on frames: rule → check result, severity,
blocking (the real checks materialised on a warehouse: tests/integration/test_quality_checks_materialize.py).
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from dagster_project.defs.quality.checks import STANDARD_TABLES, SUMMARY_CHECK, check_results, standard_checks
from data_quality.standard import run_standard
from data_quality.standard.tables import is_blocking, rule_columns, table_rules, write_data_docs
from tests.support.standard import AS_OF, FRAMES, contacts, customers, orders


def _results(table: str, frame: pd.DataFrame, docs: Path | None = None) -> dict[str, dg.AssetCheckResult]:
    report = run_standard(table, frame, AS_OF)
    key, _ = STANDARD_TABLES[table]
    rules = {r["name"]: r for r in table_rules(table)}
    return {r.check_name: r for r in check_results(table, key, report, rules, docs)}


@pytest.mark.parametrize("table", sorted(FRAMES))
def test_clean_frames_pass_every_blocking_check(table):
    results = _results(table, FRAMES[table]())
    rules = {r["name"]: r for r in table_rules(table)}
    assert set(results) == {*rules, SUMMARY_CHECK}
    blocking_failed = [n for n, r in results.items() if n in rules and is_blocking(rules[n]) and not r.passed]
    assert blocking_failed == []


def test_messy_but_clean_contacts_are_warnings_not_failures():
    results = _results("stg_crm_contacts", contacts())
    # placeholder names / junk e-mails / the 01.01.1900 stub are flagged, never blocking
    assert not results["birth_date_plausible"].passed
    assert results["birth_date_plausible"].severity == dg.AssetCheckSeverity.WARN
    assert results["name_not_placeholder"].severity == dg.AssetCheckSeverity.WARN
    assert results["contact_id_unique"].severity == dg.AssetCheckSeverity.WARN  # same contact in two exports


def test_broken_contacts_fail_the_blocking_checks_with_samples():
    results = _results("stg_crm_contacts", contacts(broken=True), docs=Path("/tmp/docs/index.html"))
    failed = {n for n, r in results.items() if not r.passed and r.severity == dg.AssetCheckSeverity.ERROR}
    assert failed == {"contact_id_not_null", "phone_e164_format", "phone_kind_allowed"}
    meta = results["phone_kind_allowed"].metadata
    assert meta["unexpected_count"].value == 1
    assert meta["failing_ids_sample"].value == ["c5"]
    assert meta["data_docs"].value == "/tmp/docs/index.html"
    assert not results[SUMMARY_CHECK].passed
    assert set(results[SUMMARY_CHECK].metadata["rules_failed_error"].value) == failed


def test_duplicate_customer_ids_block_and_orders_broken_key_blocks():
    cust = _results("core_customers", customers(broken=True))
    assert not cust["customer_id_unique"].passed
    assert cust["customer_id_unique"].severity == dg.AssetCheckSeverity.ERROR
    orde = _results("stg_orders", orders(broken=True))
    assert not orde["order_id_not_null"].passed
    assert orde["order_id_not_null"].severity == dg.AssetCheckSeverity.ERROR


def test_rule_severity_maps_to_blocking_specs():
    for check in standard_checks:
        for spec in check.check_specs:
            table = next(t for t, (k, _) in STANDARD_TABLES.items() if k == spec.asset_key)
            if spec.name == SUMMARY_CHECK:
                assert not spec.blocking
                continue
            rule = next(r for r in table_rules(table) if r["name"] == spec.name)
            assert spec.blocking == (rule.get("severity", "error") == "error")


def test_rule_columns_pull_only_what_the_standard_reads():
    cols = rule_columns("core_customers")
    assert cols[0] == "customer_id"
    assert {"phone_e164", "email", "has_valid_phone", "has_valid_email"} <= set(cols)
    assert "sources" not in cols


def test_data_docs_index_collects_every_table(tmp_path):
    for table, make in FRAMES.items():
        page = write_data_docs(run_standard(table, make(), AS_OF), tmp_path)
        assert page == tmp_path / table / "index.html" and page.is_file()
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert all(t in index for t in FRAMES)
