"""The data-filling standard as Dagster asset checks: blocking on broken data, green on clean data.

Unit level on frames (rule → check result, severity, blocking) and Dagster level on a tiny
hand-built warehouse (the real multi-asset checks, Data Docs, a downstream asset that a failing
blocking check stops).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest

from dagster_project.defs.quality.checks import STANDARD_TABLES, SUMMARY_CHECK, check_results, standard_checks
from dagster_project.resources import resources_for
from data_quality.standard import run_standard
from data_quality.standard.tables import is_blocking, rule_columns, table_rules, write_data_docs

AS_OF = dt.date(2026, 11, 15)


def contacts(broken: bool = False) -> pd.DataFrame:
    df = pd.DataFrame(
        {
            "contact_id": ["c1", "c2", "c3", "c4", "c5", "c6"],
            "_source_file": ["crm/contacts.csv"] * 6,
            "first_name": ["Иван", "Ольга", None, "Анна", "Олег", "Юлия"],
            "last_name": ["Иванов", "Петрова", None, "Сидорова", "Орлов", "Юдина"],
            "full_name_clean": ["Иванов Иван", "Петрова Ольга", None, "Сидорова Анна", "Орлов Олег", "Юдина Юлия"],
            # the messy input the generator also has: placeholder, junk e-mail, junk phone, 01.01.1900
            "is_placeholder_name": [False, False, True, False, False, False],
            "phone_e164": ["+79164821735", "+74954821736", None, None, "+79164821737", None],
            "phone_kind": ["mobile", "landline", "junk", "empty", "mobile", "empty"],
            "email": ["ivan@mail.ru", None, "1@mail.ru", "anna@yandex.ru", None, "info@firm.ru"],
            "email_status": ["valid", "empty", "junk", "valid", "empty", "role"],
            "birth_date": pd.to_datetime(["1980-01-02", None, "1900-01-01", None, "1990-05-06", None]),
            "created_at": pd.to_datetime(["2025-01-10 12:00"] * 6),
            "manager": ["Смирнова"] * 6,
        }
    )
    if broken:
        df.loc[1, "contact_id"] = None  # lost key
        df.loc[3, "phone_e164"] = "89164821735"  # not E.164: the normaliser is broken
        df.loc[4, "phone_kind"] = "cell"  # a kind nobody downstream knows
    return df


def orders(broken: bool = False) -> pd.DataFrame:
    df = pd.DataFrame(
        {
            "order_id": ["o1", "o2", "o3"],
            "contact_id": ["c1", "c2", "c9"],
            "order_date": pd.to_datetime(["2026-01-01", "2026-10-31", "2026-11-01"]),
            "amount": [100.0, 0.0, 50.0],
        }
    )
    if broken:
        df.loc[2, "order_id"] = None
    return df


def customers(broken: bool = False) -> pd.DataFrame:
    df = pd.DataFrame(
        {
            "customer_id": ["CUST-1", "CUST-2", "CUST-3"],
            "phone_e164": ["+79164821735", None, "+74954821736"],
            "email": ["ivan@mail.ru", "anna@yandex.ru", None],
            "has_valid_phone": [True, False, True],
            "has_valid_email": [True, True, False],
        }
    )
    if broken:
        df.loc[2, "customer_id"] = "CUST-1"  # duplicate id after dedupe: would double-count marts
    return df


FRAMES = {"stg_crm_contacts": contacts, "stg_orders": orders, "core_customers": customers}


# ----------------------------------------------------------------------------- unit level


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


# ----------------------------------------------------------------------------- Dagster level


def _warehouse(root: Path, broken: bool) -> Path:
    path = root / "warehouse.duckdb"
    con = duckdb.connect(str(path))
    try:
        for table, make in FRAMES.items():
            _, relation = STANDARD_TABLES[table]
            schema, name = relation.split(".")
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
            frame = make(broken=broken and table == "stg_crm_contacts")
            con.register("f", frame)
            con.execute(f"CREATE OR REPLACE TABLE {schema}.{name} AS SELECT * FROM f")
            con.unregister("f")
    finally:
        con.close()
    return path


def _run_checks(tmp_path: Path, monkeypatch, broken: bool):
    root = tmp_path / ("broken" if broken else "clean")
    root.mkdir()
    _warehouse(root, broken)
    ran = []

    @dg.asset(key=["marts", "downstream_of_contacts"], deps=[dg.AssetKey(["staging", "stg_crm_contacts"])])
    def downstream() -> None:
        ran.append(True)

    @dg.asset(key=["staging", "stg_crm_contacts"])
    def stg_crm_contacts() -> None:  # stands in for the dbt model (the table is already there)
        return None

    others = [dg.AssetSpec(["staging", "stg_orders"]), dg.AssetSpec(["core", "customers"])]
    result = dg.materialize(
        [stg_crm_contacts, downstream, *others, *standard_checks],
        selection=dg.AssetSelection.assets(stg_crm_contacts, downstream) | dg.AssetSelection.all_asset_checks(),
        raise_on_error=False,
        resources=resources_for(root, root / "landing"),
        tags={"dagster/partition": AS_OF.isoformat()},
    )
    evaluations = {(tuple(e.asset_key.path), e.check_name): e for e in result.get_asset_check_evaluations()}
    return root, result, evaluations, ran


def test_dagster_checks_pass_on_clean_warehouse_and_write_docs(tmp_path, monkeypatch):
    root, result, evals, ran = _run_checks(tmp_path, monkeypatch, broken=False)
    assert result.success
    assert ran == [True]
    blocking_failed = [k for k, e in evals.items() if not e.passed and e.severity == dg.AssetCheckSeverity.ERROR]
    assert blocking_failed == []
    assert len(evals) == sum(len(c.check_specs) for c in standard_checks)
    docs = root / "quality_docs"
    assert (docs / "index.html").is_file() and (docs / "core_customers" / "index.html").is_file()
    summary = evals[(("staging", "stg_crm_contacts"), SUMMARY_CHECK)]
    assert summary.metadata["data_docs"].value == str(docs / "stg_crm_contacts" / "index.html")


def test_dagster_blocking_check_stops_downstream_on_broken_contacts(tmp_path, monkeypatch):
    _, result, evals, ran = _run_checks(tmp_path, monkeypatch, broken=True)
    assert not result.success
    assert ran == []  # the mart downstream of the broken table did not run
    failed = {name for (key, name), e in evals.items() if key == ("staging", "stg_crm_contacts") and not e.passed}
    assert {"contact_id_not_null", "phone_e164_format", "phone_kind_allowed"} <= failed
    assert evals[(("core", "customers"), "customer_id_unique")].passed
