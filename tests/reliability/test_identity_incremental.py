"""Incremental Splink scoring (ml/identity/incremental.py) gives the customers a full run gives.

A generated sample's last day is held back; the base run as of the day before trains Splink and
keeps its state. Three copies of that warehouse then take the day:
- ``incremental``: the saved model scoring only pairs with a changed row (the dirty-share cap
  lifted; a 1,500-customer day changes ~13 % of the rows, as a 1M-customer day did);
- ``rescored``: the same saved model scoring every pair (the saved rows emptied, so all are dirty);
- ``retrained``: no state, the full path with EM on the day's data;
- ``capped``: a dirty-share cap (5 %) this day exceeds.
"""

from __future__ import annotations

import datetime as dt
import shutil

import pandas as pd
import pytest

from dagster_project.resources import resources_for
from ml.identity.evaluate import evaluate_against_truth
from sample_data.increment import land, split_last_day
from tests.support.identity_days import run_identity_day
from tests.support.pipeline import SAMPLE_AS_OF

KEY = ["source", "source_record_id"]
UNCAPPED = {"splink": {"incremental": {"max_dirty_share": 1.0}}}
CAPPED = {"splink": {"incremental": {"max_dirty_share": 0.05}}}


def _sql(root, sql: str) -> pd.DataFrame:
    """On the warehouse through its resource (the same connection settings as the run's)."""
    with resources_for(root, root)["warehouse"].connect() as con:
        return con.execute(sql).df()


@pytest.fixture(scope="module")
def day(tmp_path_factory):
    from sample_data import generate

    root = tmp_path_factory.mktemp("id_incremental")
    landing = root / "landing"
    generate(customers=1500, seed=5, out_dir=landing, end_date=SAMPLE_AS_OF)
    the_day, _moved = split_last_day(landing, root / "aside")
    base = run_identity_day(root / "incremental", landing, the_day - dt.timedelta(days=1))
    base_pairs = _sql(root / "incremental", "SELECT * FROM identity_state.identity_splink_pairs")
    for name in ("rescored", "retrained", "capped"):
        shutil.copytree(root / "incremental", root / name)
    _sql(root / "rescored", "DELETE FROM identity_state.identity_splink_rows")
    _sql(root / "retrained", "DROP SCHEMA identity_state CASCADE")
    land(root / "aside", landing)
    runs = {"incremental": run_identity_day(root / "incremental", landing, the_day, UNCAPPED),
            "rescored": run_identity_day(root / "rescored", landing, the_day, UNCAPPED),
            "retrained": run_identity_day(root / "retrained", landing, the_day),
            "capped": run_identity_day(root / "capped", landing, the_day, CAPPED)}
    pairs = {name: _sql(root / name, "SELECT * FROM identity_state.identity_splink_pairs") for name in runs}
    truth = pd.read_csv(landing / "truth" / "record_map.csv", dtype=str)
    return {"base": base, "base_pairs": base_pairs, "runs": runs, "pairs": pairs, "truth": truth, "day": the_day,
            "roots": {name: root / name for name in runs}}


def test_the_base_run_trains_and_keeps_its_state(day):
    stats = day["base"].stats
    assert stats["splink_mode"] == "full"
    assert stats["splink_full_reason"] == "no saved model and pairs (first run)"
    assert stats["splink_trained"]
    assert len(day["base_pairs"]) == stats["splink_pairs_scored"] > 0


def test_the_day_scores_only_pairs_with_a_changed_row(day):
    inc, rescored = day["runs"]["incremental"].stats, day["runs"]["rescored"].stats
    assert inc["splink_mode"] == "incremental" and inc["splink_full_reason"] is None
    assert inc["splink_model_trained_as_of"] == str(day["day"] - dt.timedelta(days=1))  # no EM today
    assert 0 < inc["splink_rows_dirty"] < inc["splink_input_rows"]
    assert inc["splink_pairs_reused"] > 0
    # every pair of the day, fewer of them scored
    assert rescored["splink_mode"] == "incremental" and rescored["splink_rows_dirty"] == rescored["splink_input_rows"]
    assert rescored["splink_pairs_reused"] == 0
    assert inc["splink_pairs_scored"] + inc["splink_pairs_reused"] == rescored["splink_pairs_scored"]
    assert inc["splink_pairs_scored"] < rescored["splink_pairs_scored"] / 2


def test_reused_and_rescored_pairs_are_the_same_pairs_with_the_same_scores(day):
    a, b = day["pairs"]["incremental"], day["pairs"]["rescored"]
    both = a.merge(b, on=["record_key_l", "record_key_r"], how="outer", suffixes=("_inc", "_all"), indicator=True)
    assert (both["_merge"] == "both").all(), both[both["_merge"] != "both"]
    # a reused pair keeps the term frequencies of the day it was scored: scores drift a little
    drift = (both["match_probability_inc"] - both["match_probability_all"]).abs()
    assert drift.max() < 0.05, both.loc[drift.idxmax()]
    assert drift.median() < 1e-3


def test_the_customers_equal_those_of_a_full_run_with_training(day):
    inc, full = day["runs"]["incremental"].identity, day["runs"]["retrained"].identity
    same = inc.merge(full, on=KEY, suffixes=("_inc", "_full"))
    assert len(same) == len(inc) == len(full)
    assert (same["customer_id_inc"] == same["customer_id_full"]).mean() >= 0.999
    f_inc = evaluate_against_truth(inc, day["truth"])["pairwise_f1"]
    f_full = evaluate_against_truth(full, day["truth"])["pairwise_f1"]
    assert f_inc >= f_full - 0.005, (f_inc, f_full)


def test_a_day_changing_more_rows_than_the_cap_retrains(day):
    stats = day["runs"]["capped"].stats
    assert stats["splink_dirty_share"] > 0.05
    assert stats["splink_mode"] == "full" and "max_dirty_share" in stats["splink_full_reason"]
    assert stats["splink_pairs_reused"] == 0
    # the retrained model is saved, dated today
    model = _sql(day["roots"]["capped"], "SELECT trained_as_of FROM identity_state.identity_splink_model")
    assert model["trained_as_of"].iloc[0].date() == day["day"]
