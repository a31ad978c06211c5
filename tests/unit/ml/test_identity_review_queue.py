"""The identity review queue: every uncertain pair kept with its score, the `review.daily_cap` pairs
of highest uncertainty x value queued for a person, the rest decided by the model, reviewed pairs
never queued again."""

from __future__ import annotations

import math
from datetime import date

import duckdb
import numpy as np
import pandas as pd
import pytest

from clientpulse_config import load
from ml.identity import resolve_identities
from ml.identity.resolve import _write_review
from sample_data.identity_records import fixture_records
from sample_data.identity_records import load as load_records

DECISION_COLS = ["left_source", "left_source_record_id", "right_source", "right_source_record_id", "decision"]


def _hand_made(con: duckdb.DuckDBPyConnection, n_pairs: int, seed: int = 3) -> pd.DataFrame:
    """2 x n_pairs records, each pair in two customers, a Splink probability per pair; order values
    per record. Returns the pairs with what the queue should compute from them."""
    rng = np.random.default_rng(seed)
    rid = np.arange(2 * n_pairs)
    rec = pd.DataFrame({"rid": rid, "source": "crm_contact", "source_record_id": [f"R{i:04d}" for i in rid],
                        "full_name_clean": "x", "birth_date": None, "address": None})
    assign = pd.DataFrame({"rid": rid, "customer_id": [f"CUST-{i:06d}" for i in rid]})
    p = np.round(rng.uniform(0.6, 0.95, n_pairs), 4)
    guarded = rng.random(n_pairs) < 0.1
    p[guarded] = 0.97  # above the match threshold, held back by the household guard
    pred = pd.DataFrame({"unique_id_l": rid[0::2], "unique_id_r": rid[1::2], "match_probability": p,
                         "match_weight": np.log2(p / (1 - p)), "household_guarded": guarded, "mw_name": 1.0})
    values = pd.DataFrame({"source": "crm_contact", "source_record_id": rec["source_record_id"],
                           "value": np.round(rng.choice([0.0, 100.0, 5000.0, 250000.0, -50.0], 2 * n_pairs), 2)})
    for name, frame in {"_idr_rec": rec, "_idr_assign": assign, "_idr_sp_pred": pred, "_values": values}.items():
        con.register(f"{name}_src", frame)
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {name}_src")
        con.unregister(f"{name}_src")
    v = values.set_index("source_record_id")["value"].clip(lower=0)
    expect = pd.DataFrame({"left_source_record_id": rec["source_record_id"].to_numpy()[0::2],
                           "right_source_record_id": rec["source_record_id"].to_numpy()[1::2], "p": p, "guarded": guarded})
    expect["value"] = v.loc[expect["left_source_record_id"]].to_numpy() + v.loc[expect["right_source_record_id"]].to_numpy()
    return expect


def _connect() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET threads = 1")
    return con


def _cfg(cap: int) -> dict:
    cfg = load("identity")
    return {**cfg, "review": {**cfg["review"], "daily_cap": cap}}


def test_queue_ranks_by_uncertainty_times_value_and_caps():
    con = _connect()
    expect = _hand_made(con, 60)
    decisions = pd.DataFrame([["crm_contact", "R0003", "crm_contact", "R0002", "cannot_link"]], columns=DECISION_COLS)
    _write_review(con, _cfg(25), "review", decisions,
                  "SELECT source, source_record_id, value FROM _values")
    out = con.execute("SELECT * FROM review").df()
    assert len(out) == 60  # every pair kept, queued or not
    assert (out["match_probability"].notna()).all()
    m = out.merge(expect, on=["left_source_record_id", "right_source_record_id"])
    assert len(m) == 60
    # the pair reviewed before (either orientation) is never queued and has no rank
    reviewed = m[m["left_source_record_id"] == "R0002"].iloc[0]
    assert reviewed["review_status"] == "reviewed" and pd.isna(reviewed["review_rank"])
    # uncertainty 1 - |2p - 1|; guarded pairs above the match threshold take review.guarded_uncertainty
    u = np.where(m["guarded"], load("identity")["review"]["guarded_uncertainty"], 1 - (2 * m["p"] - 1).abs())
    assert np.allclose(m["review_uncertainty"], u)
    assert np.allclose(m["pair_value"], m["value"])  # negative amounts (refunds) count as 0
    assert np.allclose(m["review_priority"], u * np.log10(10 + m["value"]))
    ranked = m[m["review_status"] != "reviewed"].sort_values("review_rank")
    assert ranked["review_rank"].tolist() == list(range(1, 60))
    assert (np.diff(ranked["review_priority"].to_numpy()) <= 1e-12).all()
    assert (ranked["review_status"].iloc[:25] == "queued").all()
    assert (ranked["review_status"].iloc[25:] == "decided_by_model").all()
    # the most valuable of two equally uncertain pairs comes first: value matters, not only p
    top = ranked.iloc[0]
    assert top["review_priority"] == pytest.approx(max(u * np.log10(10 + m["value"])))


def test_cap_zero_queues_nothing_and_no_values_rank_by_uncertainty():
    con = _connect()
    _hand_made(con, 20)
    empty = pd.DataFrame(columns=DECISION_COLS)
    _write_review(con, _cfg(0), "review", empty, None)
    out = con.execute("SELECT * FROM review ORDER BY review_rank").df()
    assert set(out["review_status"]) == {"decided_by_model"}
    assert (out["pair_value"] == 0).all()
    assert (np.diff(out["review_uncertainty"].to_numpy()) <= 1e-12).all()
    assert math.isclose(out["review_priority"].iloc[0], out["review_uncertainty"].iloc[0])


def test_through_resolve_identities():
    con = _connect()
    rows, _ = fixture_records()
    load_records(con, rows)
    res = resolve_identities(con, "records", config={"review": {"daily_cap": 1}}, as_of=date(2024, 7, 1),
                             record_values="SELECT source, source_record_id, 100.0 AS value FROM records")
    review = res.frame("review_pairs")
    assert len(review) >= 2
    assert (review["review_status"] == "queued").sum() == 1 == res.stats["review_queued"]
    assert (review["review_status"] == "decided_by_model").sum() == len(review) - 1
    assert review["match_probability"].between(0.6, 0.95).all()
    assert (review["pair_value"] > 0).all()
