"""Splink 5 (DuckDB backend) on top of the deterministic clusters.

Input rows: records with a usable name, collapsed to one row per (deterministic cluster,
distinct feature tuple) so the model sees each cluster's distinct variants only. Blocking
rules exclude pairs inside one deterministic cluster. Splink runs on its own in-memory
DuckDB connection (nothing of Splink's scratch tables lands in the warehouse); scored pairs
come back as `_idr_sp_pred(unique_id_l, unique_id_r, match_probability, match_weight, mw_*)`
where unique ids are record ids (`rid`).
"""

from __future__ import annotations

import copy
import logging
import time
from typing import Any

import duckdb

log = logging.getLogger(__name__)

FEATURES = ["fname", "first_name_key", "first_name_canonical_key", "last_name_key", "middle_name_key",
            "name_key", "birth_date", "address_key", "city_key", "postcode", "phone_e164", "email_key"]


def _build_input(con: duckdb.DuckDBPyConnection) -> int:
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _idr_sp_in AS
        SELECT min(r.rid) AS unique_id, d.label AS det,
               r.first_name_key, coalesce(r.first_name_canonical_key, r.first_name_key) AS first_name_canonical_key,
               r.last_name_key, r.middle_name_key,
               coalesce(r.name_key, concat_ws(' ', least(r.fname, r.last_name_key),
                                              greatest(r.fname, r.last_name_key))) AS name_key,
               r.birth_date, r.address_key, r.city_key, r.postcode, r.phone_e164, r.email_key,
               right(r.phone_e164, 7) AS phone7,
               nullif(split_part(r.email_key, '@', 1), '') AS email_local,
               left(r.first_name_key, 1) AS fname1, left(r.last_name_key, 1) AS lname1,
               left(r.last_name_key, 3) AS lname3
        FROM _idr_rec r JOIN _idr_det d USING (rid)
        WHERE r.has_name
        GROUP BY d.label, {', '.join('r.' + f for f in FEATURES)}
    """)
    return con.execute("SELECT count(*) FROM _idr_sp_in").fetchall()[0][0]


def splink_settings(cfg: dict[str, Any]) -> dict[str, Any]:
    sp = cfg["splink"]
    return {
        "link_type": "dedupe_only",
        "unique_id_column_name": "unique_id",
        "comparisons": copy.deepcopy(sp["comparisons"]),
        "blocking_rules_to_generate_predictions": [f"({r}) AND l.det <> r.det" for r in sp["blocking_rules"]],
        "probability_two_random_records_match": float(sp.get("probability_two_random_records_match") or 1e-5),
        "additional_columns_to_retain": ["det"],
        "retain_matching_columns": False,
        "retain_intermediate_calculation_columns": True,
    }


def run_splink(con: duckdb.DuckDBPyConnection, cfg: dict[str, Any], timings: dict[str, float]) -> dict[str, Any]:
    from splink import DuckDBAPI, Linker

    sp = cfg["splink"]
    t = time.perf_counter()
    n = _build_input(con)
    stats: dict[str, Any] = {"splink_input_rows": int(n)}
    if n < 2:
        return stats
    arrow = con.sql("SELECT * FROM _idr_sp_in ORDER BY unique_id").to_arrow_table()
    con.execute("DROP TABLE _idr_sp_in")
    scon = duckdb.connect(":memory:")
    threads = con.execute("SELECT current_setting('threads')").fetchall()[0][0]
    scon.execute(f"SET threads = {int(threads)}")
    scon.register("_src", arrow)
    scon.execute("CREATE TABLE sp_input AS SELECT * FROM _src")
    scon.unregister("_src")
    del arrow
    db_api = DuckDBAPI(connection=scon)
    linker = Linker(db_api.register("sp_input"), splink_settings(cfg), log_level=logging.WARNING)
    timings["splink_blocking_input"] = round(time.perf_counter() - t, 3)
    t = time.perf_counter()
    trained = False
    if n >= int(sp.get("min_records_for_training", 200)):
        if sp.get("probability_two_random_records_match") is None and sp.get("prior_deterministic_rules"):
            try:
                linker.training.estimate_probability_two_random_records_match(
                    sp["prior_deterministic_rules"], recall=float(sp.get("prior_recall", 0.8)))
            except Exception as exc:  # noqa: BLE001 - no matching pairs on tiny/odd inputs
                log.warning("prior estimation skipped: %s", exc)
        linker.training.estimate_u_using_random_sampling(max_pairs=float(sp.get("max_pairs_u", 5e6)),
                                                         seed=int(sp.get("seed", 42)))
        for block in sp.get("em_training_blocks") or []:
            try:
                linker.training.estimate_parameters_using_expectation_maximisation(
                    block, record_sample_proportion=float(sp.get("em_record_sample_proportion", 1.0)))
                trained = True
            except Exception as exc:  # noqa: BLE001 - a block without pairs on this data
                log.warning("EM block %s skipped: %s", block, exc)
    timings["splink_training"] = round(time.perf_counter() - t, 3)
    t = time.perf_counter()
    pred = linker.inference.predict(threshold_match_probability=float(sp.get("predict_threshold", 0.3)),
                                    warning_mode="never")
    cols = ["unique_id_l", "unique_id_r", "match_probability", "match_weight"]
    names = [r[0] for r in scon.execute(f"DESCRIBE SELECT * FROM {pred.physical_name}").fetchall()]
    sel = cols + [c for c in names if c.startswith("mw_")]
    out = scon.sql(f"SELECT {', '.join(sel)} FROM {pred.physical_name}").to_arrow_table()
    timings["splink_scoring"] = round(time.perf_counter() - t, 3)
    con.register("_idr_sp_pred_src", out)
    con.execute("CREATE OR REPLACE TEMP TABLE _idr_sp_pred AS SELECT * FROM _idr_sp_pred_src")
    con.unregister("_idr_sp_pred_src")
    stats["splink_pairs_scored"] = len(out)
    stats["splink_trained"] = trained
    stats["splink_model"] = linker.misc.save_model_to_json() if hasattr(linker, "misc") else None
    scon.close()
    return stats
