"""Splink 5 (DuckDB backend) on top of the deterministic clusters.

Input rows: records with a usable first or last name, collapsed to one row per (deterministic
cluster, distinct feature tuple) so the model sees each cluster's distinct variants only.
Blocking rules exclude pairs inside one deterministic cluster. Splink runs on its own in-memory
DuckDB connection (nothing of Splink's scratch tables lands in the warehouse); scored pairs
come back as `_idr_sp_pred(unique_id_l, unique_id_r, match_probability, match_weight, mw_*)`
where unique ids are record ids (`rid`).

The model adapts to the columns the data actually fills: comparison levels, blocking rules and
training blocks that need an empty column are dropped, and when the data cannot train a part of
the model the configured values are used instead (see `SplinkPlan.method`):

- ``splink``: prior from the deterministic prior rules, u by random sampling, m by EM;
- ``splink_config_prior``: as above, but no pair matched a prior rule, so the prior comes from
  ``fallback_probability_two_random_records_match``;
- ``splink_config_m``: no training block had enough pairs (or too few records): m (and u for
  tiny inputs) from the configured comparison levels;
- ``deterministic_only``: no comparison or blocking rule is usable — Splink is not run.
"""

from __future__ import annotations

import copy
import logging
import re
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from data_quality.normalize.addresses import address_parts, city_key, postcode_key

from . import incremental as inc

log = logging.getLogger(__name__)

FEATURES = ["fname", "first_name_key", "first_name_canonical_key", "last_name_key", "middle_name_key",
            "name_key", "birth_date", "birth_date_key", "national_id_key", "address_key", "house_number",
            "street_key", "flat", "city_norm", "postcode_norm", "phone_e164", "email_key"]
METHODS = ("splink", "splink_config_prior", "splink_config_m", "deterministic_only")
_COMPARISON_COL = re.compile(r"\b([a-z_][a-z0-9_]*)_[lr]\b")
_RULE_COL = re.compile(r"\b[lr]\.([a-z_][a-z0-9_]*)\b")


@dataclass
class SplinkPlan:
    """What the data allows: the comparisons / rules kept, how each model part is set, and why."""

    method: str = "splink"
    comparisons: list[dict[str, Any]] = field(default_factory=list)
    blocking_rules: list[str] = field(default_factory=list)
    prior: float | None = None
    prior_source: str = "estimated"
    em_blocks: list[str] = field(default_factory=list)
    em_block_pairs: dict[str, int] = field(default_factory=dict)
    train_u: bool = False
    dropped: dict[str, list[str]] = field(default_factory=dict)
    fallbacks: list[str] = field(default_factory=list)
    populated: list[str] = field(default_factory=list)  # columns with data (a list: the plan travels as JSON)


def comparison_columns(sql: str) -> set[str]:
    return set(_COMPARISON_COL.findall(sql))


def rule_columns(sql: str) -> set[str]:
    return set(_RULE_COL.findall(sql))


def _lookup(con: duckdb.DuckDBPyConnection, name: str, column: str, fn, out_cols: list[str]) -> None:
    """`name(<column>, *out_cols)`: a Python normaliser applied once per distinct value."""
    values = con.execute(f"SELECT DISTINCT {column} FROM _idr_rec WHERE {column} IS NOT NULL").fetchnumpy()[column]
    rows = [(v, *(fn(v) if len(out_cols) > 1 else (fn(v),))) for v in values.tolist()]
    frame = pd.DataFrame(rows, columns=[column, *out_cols]).astype(object)
    if frame.empty:
        frame = pd.DataFrame({c: pd.Series(dtype=str) for c in [column, *out_cols]})
    con.register(f"{name}_src", frame)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {name}_src")
    con.unregister(f"{name}_src")


def _build_input(con: duckdb.DuckDBPyConnection, cfg: dict[str, Any]) -> int:
    _lookup(con, "_idr_addr", "address", address_parts, ["house_number", "flat", "street_key"])
    _lookup(con, "_idr_city", "city", city_key, ["city_norm"])
    _lookup(con, "_idr_pc", "postcode", postcode_key, ["postcode_norm"])
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _idr_sp_in AS
        WITH r AS (
            SELECT r.*, d.label AS det, a.house_number, a.flat, a.street_key, c.city_norm, p.postcode_norm,
                   coalesce(r.birth_date_key, strftime(r.birth_date, '%Y%m%d')) AS bdk
            FROM _idr_rec r JOIN _idr_det d USING (rid)
            LEFT JOIN _idr_addr a ON a.address = r.address
            LEFT JOIN _idr_city c ON c.city = r.city
            LEFT JOIN _idr_pc p ON p.postcode = r.postcode
            WHERE NOT r.is_placeholder_name AND (r.fname IS NOT NULL OR r.last_name_key IS NOT NULL))
        SELECT min(rid) AS unique_id, det,
               first_name_key, coalesce(first_name_canonical_key, first_name_key) AS first_name_canonical_key,
               last_name_key, middle_name_key,
               coalesce(name_key, concat_ws(' ', least(fname, last_name_key), greatest(fname, last_name_key)))
                   AS name_key,
               birth_date, bdk AS birth_date_key, national_id_key, address_key, house_number, street_key, flat,
               city_norm AS city_key, postcode_norm AS postcode, phone_e164, email_key,
               right(phone_e164, 7) AS phone7,
               nullif(split_part(email_key, '@', 1), '') AS email_local,
               CASE WHEN first_name_key IS NOT NULL AND last_name_key IS NOT NULL
                    THEN first_name_key || ' ' || last_name_key END AS full_name_key,
               left(first_name_key, 1) AS fname1, left(last_name_key, 1) AS lname1,
               left(last_name_key, 3) AS lname3
        FROM r
        GROUP BY det, {', '.join(f if f != 'birth_date_key' else 'bdk' for f in FEATURES)}
    """)
    for col, cap in cfg["splink"]["value_caps"].items():
        if cap is not None:
            # a value carried by this many records is a placeholder (01.01.1900, 000-000), not evidence
            con.execute(f"""UPDATE _idr_sp_in SET {col} = NULL WHERE {col} IN (
                                SELECT {col} FROM _idr_sp_in WHERE {col} IS NOT NULL
                                GROUP BY 1 HAVING count(*) > {int(cap)})""")
    for tmp in ("_idr_addr", "_idr_city", "_idr_pc"):
        con.execute(f"DROP TABLE IF EXISTS {tmp}")
    return con.execute("SELECT count(*) FROM _idr_sp_in").fetchall()[0][0]


def populated_columns(con: duckdb.DuckDBPyConnection, table: str, min_values: int = 2) -> set[str]:
    """Columns of `table` with at least `min_values` non-null values (else nothing to compare)."""
    cols = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
    counts = con.execute(f"SELECT {', '.join(f'count({c})' for c in cols)} FROM {table}").fetchall()[0]
    return {c for c, k in zip(cols, counts) if k >= min_values}


def usable_comparisons(comparisons: list[dict[str, Any]], populated: set[str]
                       ) -> tuple[list[dict[str, Any]], list[str]]:
    """Drop levels that need an empty column and comparisons left with nothing to compare.
    m / u of the remaining non-null levels are renormalised to sum to 1."""
    kept, dropped = [], []
    for comp in comparisons:
        levels = []
        for lvl in comp["comparison_levels"]:
            sql = lvl["sql_condition"]
            special = lvl.get("is_null_level") or sql.strip().upper() == "ELSE"
            if special or comparison_columns(sql) <= populated:
                levels.append(copy.deepcopy(lvl))
        nulls = [lv for lv in levels if lv.get("is_null_level")]
        informative = [lv for lv in levels if not lv.get("is_null_level") and lv["sql_condition"].strip().upper() != "ELSE"]
        null_cols = set().union(*(comparison_columns(lv["sql_condition"]) for lv in nulls)) if nulls else set()
        if not informative or (null_cols and not null_cols & populated):
            dropped.append(comp["output_column_name"])
            continue
        for key in ("m_probability", "u_probability"):
            vals = [lv for lv in levels if not lv.get("is_null_level") and key in lv]
            total = sum(float(lv[key]) for lv in vals)
            for lv in vals:
                lv[key] = float(lv[key]) / total if total > 0 else lv[key]
        kept.append({**comp, "comparison_levels": levels})
    return kept, dropped


def count_pairs(con: duckdb.DuckDBPyConnection, table: str, rules: list[str]) -> int:
    """Distinct record pairs matching any of `rules` (Splink SQL with l./r.)."""
    if not rules:
        return 0
    parts = [f"SELECT l.unique_id AS a, r.unique_id AS b FROM {table} l JOIN {table} r "
             f"ON l.unique_id < r.unique_id AND ({rule})" for rule in rules]
    return int(con.execute(f"SELECT count(*) FROM ({' UNION '.join(parts)})").fetchall()[0][0])


def usable_plan(con: duckdb.DuckDBPyConnection, table: str, n: int, cfg: dict[str, Any]) -> SplinkPlan:
    """The comparisons and blocking rules the filled columns allow (no training decided yet)."""
    sp = cfg["splink"]
    plan = SplinkPlan()
    populated = populated_columns(con, table)
    plan.populated = sorted(populated)
    plan.comparisons, plan.dropped["comparisons"] = usable_comparisons(sp["comparisons"], populated)
    plan.blocking_rules = [r for r in sp["blocking_rules"] if rule_columns(r) <= populated]
    plan.dropped["blocking_rules"] = [r for r in sp["blocking_rules"] if r not in plan.blocking_rules]
    if n < 2 or not plan.comparisons or not plan.blocking_rules:
        plan.method = "deterministic_only"
        why = ("fewer than two named records" if n < 2 else
               "no comparison has data" if not plan.comparisons else "no blocking rule has data")
        plan.fallbacks.append(f"probabilistic matching skipped: {why}")
    return plan


def plan_model(con: duckdb.DuckDBPyConnection, table: str, n: int, cfg: dict[str, Any],
               plan: SplinkPlan | None = None) -> SplinkPlan:
    """Decide, from what the input holds, which comparisons, rules and training steps are usable."""
    sp = cfg["splink"]
    plan = plan or usable_plan(con, table, n, cfg)
    if plan.method == "deterministic_only":
        return plan
    populated = set(plan.populated)
    ok = lambda rule: rule_columns(rule) <= populated  # noqa: E731
    # prior: configured, else estimated from deterministic rules, else records' expected matches
    fixed_prior = sp["probability_two_random_records_match"]
    fallback_prior = float(sp["fallback_probability_two_random_records_match"])
    trainable = n >= int(sp["min_records_for_training"])
    if fixed_prior is not None:
        plan.prior, plan.prior_source = float(fixed_prior), "configured"
    elif not trainable:  # a handful of records estimates nothing
        plan.prior, plan.prior_source = fallback_prior, "fallback"
    else:
        rules = [r for r in sp["prior_deterministic_rules"] if ok(r)]
        matches = count_pairs(con, table, rules)
        if matches > 0:
            total = n * (n - 1) / 2
            plan.prior = min(0.5, matches / float(sp["prior_recall"]) / total)
        else:
            plan.prior, plan.prior_source = fallback_prior, "fallback"
            plan.fallbacks.append("prior: no pair matched a deterministic prior rule"
                                  + ("" if rules else " (none has data)")
                                  + f"; fallback_probability_two_random_records_match = {plan.prior:.3g} used")
    if trainable:
        min_pairs = int(sp["em_min_pairs"])
        for block in sp["em_training_blocks"]:
            cols = rule_columns(block)
            free = [c for c in plan.comparisons
                    if not any(comparison_columns(lv["sql_condition"]) & cols for lv in c["comparison_levels"])]
            pairs = count_pairs(con, table, [block]) if ok(block) and free else 0
            if pairs >= min_pairs:
                plan.em_blocks.append(block)
                plan.em_block_pairs[block] = pairs
            else:
                plan.dropped.setdefault("em_training_blocks", []).append(block)
    if not trainable:
        # term frequencies counted on a handful of records are noise, not rarity
        for comp in plan.comparisons:
            for lvl in comp["comparison_levels"]:
                lvl.pop("tf_adjustment_column", None)
                lvl.pop("tf_adjustment_weight", None)
    if not plan.em_blocks:
        why = (f"{n} records < min_records_for_training" if not trainable
               else "no EM training block has data and enough pairs")
        plan.fallbacks.append(f"m probabilities from config: {why}")
        plan.method = "splink_config_m"
    elif plan.prior_source == "fallback":
        plan.method = "splink_config_prior"
    plan.train_u = trainable
    return plan


def em_sampling(block_pairs: int, max_pairs: int) -> dict[str, float]:
    """Splink's EM arguments for a block of `block_pairs` pairs: a block beyond `max_pairs` trains
    on a deterministic hash sample of records of about `max_pairs` pairs (Splink's `max_pairs`; its
    probe counts pairs on a record sample of about the same size). m probabilities are shares within
    matches, so a few million pairs estimate them as well as all of them; at a million customers the
    phone and e-mail blocks hold hundreds of millions of pairs, and EM on all of them outgrew memory.
    A block within the cap trains on every pair, as before."""
    if block_pairs <= max_pairs:
        return {}
    return {"max_pairs": float(max_pairs), "record_sample_proportion": min(1.0, (max_pairs / block_pairs) ** 0.5)}


def _train_em(linker: Any, make_linker: Any, sp: dict[str, Any], plan: SplinkPlan) -> tuple[Any, list[str]]:
    """EM session per training block. A block whose pairs drive an m probability to zero (a level
    seen only among non-matches) makes Splink refuse the value mid-session, leaving the model half
    edited: the model is rebuilt from the snapshot taken before that block, which is skipped."""
    trained = []
    for block in plan.em_blocks:
        snapshot = linker.misc.save_model_to_json()
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(
                block, **em_sampling(plan.em_block_pairs.get(block, 0), int(sp["em_max_pairs"])))
        except ValueError as exc:
            if "below the minimum allowed value" not in str(exc):
                raise
            linker = make_linker(snapshot)
            reason = f"EM block skipped, an m probability underflowed on its pairs: {block}"
            plan.fallbacks.append(reason)
            log.warning("identity: %s", reason)
            continue
        trained.append(block)
    return linker, trained


def household_guard_sql(cfg: dict[str, Any], mw_cols: list[str]) -> str:
    """True for a pair (l, r of `_idr_rec`) whose first names clearly differ and that agrees on no
    personal attribute: family members share surname, address and phone, so those cannot make
    the link alone (address and surname are correlated within a household, the model assumes
    they are not). Such pairs go to review instead of being linked."""
    guard = cfg["splink"]["household_guard"]
    if not guard["enabled"]:
        return "false"
    t = float(guard["first_name_min_jaro_winkler"])
    differ = (f"(l.fname IS NOT NULL AND r.fname IS NOT NULL AND l.fname <> r.fname "
              f"AND coalesce(l.last_name_key <> r.fname OR r.last_name_key <> l.fname, true) "
              f"AND jaro_winkler_similarity(l.first_name_key, r.first_name_key) < {t})")
    evidence = [f"coalesce(p.mw_{c}, 0) > 0" for c in guard["personal_comparisons"]
                if f"mw_{c}" in mw_cols]
    return f"({differ} AND NOT ({' OR '.join(evidence) or 'false'}))"


def splink_settings(cfg: dict[str, Any], plan: SplinkPlan) -> dict[str, Any]:
    return {
        "link_type": "dedupe_only",
        "unique_id_column_name": "unique_id",
        "comparisons": copy.deepcopy(plan.comparisons),
        "blocking_rules_to_generate_predictions": [f"({r}) AND l.det <> r.det" for r in plan.blocking_rules],
        "probability_two_random_records_match": float(plan.prior),
        "additional_columns_to_retain": ["det"],
        "retain_matching_columns": False,
        "retain_intermediate_calculation_columns": True,
    }


_UNITS = {"bytes": 1, "kib": 2 ** 10, "mib": 2 ** 20, "gib": 2 ** 30, "tib": 2 ** 40,
          "kb": 10 ** 3, "mb": 10 ** 6, "gb": 10 ** 9, "tb": 10 ** 12}


def memory_bytes(setting: str) -> int:
    """DuckDB's `current_setting('memory_limit')` text ('4.6 GiB', '512.0 MiB') in bytes."""
    number, unit = re.fullmatch(r"\s*([0-9.]+)\s*([A-Za-z]+)\s*", setting).groups()
    return int(float(number) * _UNITS[unit.lower()])


@contextmanager
def splink_database(con: duckdb.DuckDBPyConnection, share: float):
    """Splink's own in-memory DuckDB, spilling beside the warehouse, with `share` of the warehouse
    connection's memory cap; the warehouse connection keeps the rest until Splink is done. Left to
    its defaults Splink's database takes 80 % of the machine and spills into the working folder
    (at a million customers EM grew to 23 GB and swapped); with a cap of its own beside the
    warehouse's, the process held two caps (9.2 GB for a 5 GB setting)."""
    threads, memory, temp = con.execute("SELECT current_setting('threads'), current_setting('memory_limit'), "
                                        "current_setting('temp_directory')").fetchall()[0]
    total = memory_bytes(str(memory))
    splink_mib = max(64, int(total * share) // 2 ** 20)
    warehouse_mib = max(64, total // 2 ** 20 - splink_mib)
    scon = duckdb.connect(":memory:")
    scon.execute(f"SET threads = {int(threads)}")
    scon.execute(f"SET memory_limit = '{splink_mib}MiB'")
    if temp:
        scon.execute("SET temp_directory = ?", [str(Path(temp) / "splink")])
    con.execute(f"SET memory_limit = '{warehouse_mib}MiB'")
    try:
        yield scon
    finally:
        scon.close()
        con.execute("SET memory_limit = ?", [str(memory)])


def _choose_path(con: duckdb.DuckDBPyConnection, cfg: dict[str, Any], plan: SplinkPlan, n: int,
                 state_schema: str | None, as_of: date | None, stats: dict[str, Any]) -> inc.SavedModel | None:
    """The saved model when this run may score incrementally (rows of `_idr_sp_in` marked
    `is_dirty`), else None; `stats` says which path and why."""
    sp = cfg["splink"]
    if state_schema is None:
        stats.update(splink_mode="full", splink_full_reason="no state schema given")
        return None
    fp = inc.fingerprint(cfg, [c["output_column_name"] for c in plan.comparisons], plan.blocking_rules)
    stats["splink_fingerprint"] = fp
    saved = inc.load_model(con, state_schema)
    why = inc.reuse_blocker(saved, fp, as_of, sp["incremental"], cfg["backend"], n,
                            int(sp["min_records_for_training"]))
    if cfg["backend"] == "duckdb":  # the signatures mark dirty rows and are saved; Spark keeps no state
        inc.sign_rows(con)
    if why is None:
        dirty, total = inc.mark_dirty(con, state_schema)
        stats.update(splink_rows_dirty=dirty, splink_dirty_share=round(dirty / max(total, 1), 6))
        if dirty / max(total, 1) > float(sp["incremental"]["max_dirty_share"]):
            why = (f"{dirty:,} of {total:,} Splink rows changed, more than max_dirty_share = "
                   f"{sp['incremental']['max_dirty_share']}")
            con.execute("ALTER TABLE _idr_sp_in DROP COLUMN is_dirty")
    if why is not None:
        log.info("identity: full Splink scoring with training: %s", why)
        stats.update(splink_mode="full", splink_full_reason=why)
        return None
    stats.update(splink_mode="incremental", splink_full_reason=None, splink_model_trained_as_of=str(saved.trained_as_of))
    return saved


def run_splink(con: duckdb.DuckDBPyConnection, cfg: dict[str, Any], timings: dict[str, float],
               state_schema: str | None = None, as_of: date | None = None) -> dict[str, Any]:
    """Splink on the named rows of the deterministic clusters → `_idr_sp_pred`. With a
    `state_schema` the model, rows and pairs are kept there and the next run scores incrementally
    when it may (ml/identity/incremental.py)."""
    sp = cfg["splink"]
    t = time.perf_counter()
    n = _build_input(con, cfg)
    plan = usable_plan(con, "_idr_sp_in", n, cfg)
    stats: dict[str, Any] = {"splink_input_rows": int(n)}
    saved = None
    if plan.method != "deterministic_only":
        saved = _choose_path(con, cfg, plan, n, state_schema, as_of, stats)
    if saved is None:
        plan = plan_model(con, "_idr_sp_in", n, cfg, plan)
    else:
        plan.method, plan.em_blocks, plan.fallbacks = saved.method, list(saved.em_blocks), list(saved.fallbacks)
        plan.prior = float(saved.settings["probability_two_random_records_match"])
    stats.update({"splink_method": plan.method, "splink_fallbacks": list(plan.fallbacks),
                  "splink_comparisons": [c["output_column_name"] for c in plan.comparisons],
                  "splink_dropped": {k: v for k, v in plan.dropped.items() if v},
                  "splink_prior": plan.prior, "splink_prior_source": plan.prior_source,
                  "splink_em_blocks": list(plan.em_blocks)})
    for reason in plan.fallbacks:
        log.warning("identity: %s", reason)
    if plan.method == "deterministic_only":
        con.execute("DROP TABLE _idr_sp_in")
        if state_schema:
            inc.drop_state(con, state_schema)
        return stats
    timings["splink_blocking_input"] = round(time.perf_counter() - t, 3)
    reused = None
    if saved is not None:
        out = _predict_incremental_duckdb(con, cfg, inc.incremental_settings(saved, plan.blocking_rules), timings)
        trained, model = list(saved.em_blocks), saved.settings
        reused = inc.reused_pairs(con, state_schema)
    elif cfg["backend"] == "spark":
        from ml.identity.spark_backend import fit_predict_on_spark

        out, trained, model = fit_predict_on_spark(con, cfg, plan, timings)
    else:
        out, trained, model = _fit_predict_duckdb(con, cfg, plan, timings)
    stats.update(splink_method=plan.method, splink_fallbacks=list(plan.fallbacks), splink_em_blocks=trained,
                 splink_backend=cfg["backend"])
    sel = list(out.column_names)
    con.register("_idr_sp_pred_src", out)
    pairs = "_idr_sp_pred_src" if reused is None else f"(SELECT * FROM _idr_sp_pred_src UNION ALL BY NAME {reused})"
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _idr_sp_pred AS
                    SELECT p.*, {household_guard_sql(cfg, [c for c in sel if c.startswith('mw_')])} AS household_guarded
                    FROM {pairs} p JOIN _idr_rec l ON l.rid = p.unique_id_l
                    JOIN _idr_rec r ON r.rid = p.unique_id_r""")
    con.unregister("_idr_sp_pred_src")
    stats["splink_pairs_household_guarded"] = int(con.execute(
        f"SELECT count(*) FROM _idr_sp_pred WHERE household_guarded AND match_probability >= "
        f"{float(sp['match_threshold'])}").fetchall()[0][0])
    stats["splink_pairs_scored"] = len(out)
    stats["splink_pairs_reused"] = int(con.execute("SELECT count(*) FROM _idr_sp_pred").fetchall()[0][0]) - len(out)
    stats["splink_trained"] = bool(trained)
    stats["splink_model"] = model
    if state_schema and cfg["backend"] == "duckdb" and model is not None:
        trained_as_of = saved.trained_as_of if saved is not None else as_of
        inc.save_state(con, state_schema, inc.SavedModel(model, stats["splink_fingerprint"], trained_as_of,
                                                         plan.method, list(trained), list(plan.fallbacks)))
    elif state_schema:
        inc.drop_state(con, state_schema)
    con.execute("DROP TABLE IF EXISTS _idr_sp_sig")
    con.execute("DROP TABLE IF EXISTS _idr_sp_clean")
    return stats


PRED_COLS = ["unique_id_l", "unique_id_r", "match_probability", "match_weight"]


def fit_predict(sp_input: Any, cfg: dict[str, Any], plan: SplinkPlan, timings: dict[str, float],
                to_backend: Any = lambda settings: settings) -> tuple[Any, Any, list[str]]:
    """Train (u by seeded random sampling, m by EM per block) and predict on one registered Splink
    input, whatever its backend; `to_backend` adapts the settings' SQL to the backend's dialect.
    Returns the linker, Splink's predictions and the EM blocks that trained; updates `plan`."""
    from splink import Linker

    sp = cfg["splink"]

    def make_linker(settings: dict[str, Any]) -> Any:
        return Linker(sp_input, to_backend(settings), log_level=logging.WARNING)

    t = time.perf_counter()
    linker = make_linker(splink_settings(cfg, plan))
    if plan.train_u:
        linker.training.estimate_u_using_random_sampling(max_pairs=float(sp["max_pairs_u"]),
                                                         seed=int(sp["seed"]))
    linker, trained = _train_em(linker, make_linker, sp, plan)
    if plan.em_blocks and not trained:
        plan.method = "splink_config_m"
        plan.fallbacks.append("m probabilities from config: EM failed on every training block")
    timings["splink_training"] = round(time.perf_counter() - t, 3)
    t = time.perf_counter()
    pred = linker.inference.predict(threshold_match_probability=float(sp["predict_threshold"]),
                                    warning_mode="never")
    timings["splink_scoring"] = round(time.perf_counter() - t, 3)
    return linker, pred, trained


@contextmanager
def _splink_input(con: duckdb.DuckDBPyConnection, cfg: dict[str, Any]):
    """`_idr_sp_in` moved (as one Arrow table) to Splink's in-memory DuckDB beside the warehouse."""
    with splink_database(con, float(cfg["splink"]["memory_share"])) as scon:
        arrow = con.sql("SELECT * FROM _idr_sp_in ORDER BY unique_id").to_arrow_table()
        con.execute("DROP TABLE _idr_sp_in")
        scon.register("_src", arrow)
        scon.execute("CREATE TABLE sp_input AS SELECT * FROM _src")
        scon.unregister("_src")
        del arrow
        yield scon


def _predictions(scon: duckdb.DuckDBPyConnection, pred: Any) -> Any:
    names = [r[0] for r in scon.execute(f"DESCRIBE SELECT * FROM {pred.physical_name}").fetchall()]
    sel = PRED_COLS + [c for c in names if c.startswith("mw_")]
    return scon.sql(f"SELECT {', '.join(sel)} FROM {pred.physical_name}").to_arrow_table()


def _fit_predict_duckdb(con: duckdb.DuckDBPyConnection, cfg: dict[str, Any], plan: SplinkPlan,
                        timings: dict[str, float]) -> tuple[Any, list[str], dict[str, Any] | None]:
    from splink import DuckDBAPI

    with _splink_input(con, cfg) as scon:
        linker, pred, trained = fit_predict(DuckDBAPI(connection=scon).register("sp_input"), cfg, plan, timings)
        t = time.perf_counter()
        out = _predictions(scon, pred)
        timings["splink_scoring"] = round(timings["splink_scoring"] + time.perf_counter() - t, 3)
        return out, trained, linker.misc.save_model_to_json()


def _predict_incremental_duckdb(con: duckdb.DuckDBPyConnection, cfg: dict[str, Any], settings: dict[str, Any],
                                timings: dict[str, float]) -> Any:
    """The saved model, no training, scoring the pairs with a dirty side only."""
    from splink import DuckDBAPI, Linker

    timings["splink_training"] = 0.0
    t = time.perf_counter()
    with _splink_input(con, cfg) as scon:
        linker = Linker(DuckDBAPI(connection=scon).register("sp_input"), settings, log_level=logging.WARNING)
        pred = linker.inference.predict(threshold_match_probability=float(cfg["splink"]["predict_threshold"]),
                                        warning_mode="never")
        out = _predictions(scon, pred)
    timings["splink_scoring"] = round(time.perf_counter() - t, 3)
    return out
