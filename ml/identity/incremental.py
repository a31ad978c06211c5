"""Incremental Splink scoring: a daily run re-scores only the pairs a change can touch.

Scoring the blocked pairs is most of identity's cost on a large base (at a million customers the
twelve blocking rules give ~70M candidate pairs), while a day of new data changes a few percent
of the Splink input. Each run therefore keeps three tables in a state schema:

- ``identity_splink_model``: the trained settings (m, u, prior), a fingerprint of the
  configuration and plan they belong to, and the date EM last ran;
- ``identity_splink_rows``: per Splink input row, its representative record (``record_key``) and
  a signature of everything its scores depend on: its features after the value caps and the
  member set of its deterministic cluster (the blocking rules exclude pairs inside one cluster);
- ``identity_splink_pairs``: the scored pairs (above ``predict_threshold``) by record key.

On the next run a row whose signature was saved is *clean*: its representative and features are
those of the saved row, so its pairs with other clean rows are exactly the saved ones. Only pairs
with a *dirty* side are predicted (each blocking rule gains ``AND (l.is_dirty OR r.is_dirty)``),
with the saved model, no training. The full path (EM again) runs when there is no saved state, the
configuration or the usable columns changed, the model is older than ``retrain_after_days`` or the
dirty share exceeds ``max_dirty_share``; the reason is reported. Term frequencies of reused pairs
are those of the day they were scored (docs/scaling.md).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb

MODEL, ROWS, PAIRS = "identity_splink_model", "identity_splink_rows", "identity_splink_pairs"
DIRTY_CLAUSE = "(l.is_dirty OR r.is_dirty)"
_MODEL_COLS = ("settings_json", "fingerprint", "trained_as_of", "method", "em_blocks_json", "fallbacks_json")


@dataclass(frozen=True)
class SavedModel:
    settings: dict[str, Any]  # Splink's save_model_to_json()
    fingerprint: str
    trained_as_of: date
    method: str
    em_blocks: list[str]
    fallbacks: list[str]  # what the training could not do (reported again on every reusing run)


def fingerprint(cfg: dict[str, Any], comparisons: list[str], blocking_rules: list[str]) -> str:
    """What a saved model and its pairs are valid for: the whole probabilistic configuration and the
    comparisons / blocking rules this data can use."""
    model_cfg = {k: v for k, v in cfg["splink"].items() if k not in ("incremental", "memory_share")}
    text = json.dumps({"splink": model_cfg, "comparisons": comparisons, "blocking_rules": blocking_rules},
                      sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name = ?",
                            [schema, table]).fetchall()[0][0])


def load_model(con: duckdb.DuckDBPyConnection, schema: str) -> SavedModel | None:
    if not all(_exists(con, schema, t) for t in (MODEL, ROWS, PAIRS)):
        return None
    cols = {r[0] for r in con.execute(f"DESCRIBE {schema}.{MODEL}").fetchall()}
    if cols != set(_MODEL_COLS):  # written by another version: retrain rather than guess
        return None
    row = con.execute(f"SELECT {', '.join(_MODEL_COLS)} FROM {schema}.{MODEL} LIMIT 1").fetchall()
    if not row:
        return None
    settings, fp, trained, method, blocks, fallbacks = row[0]
    return SavedModel(json.loads(settings), fp, trained, method, json.loads(blocks), json.loads(fallbacks))


def sign_rows(con: duckdb.DuckDBPyConnection) -> None:
    """`_idr_sp_sig(unique_id, record_key, row_sig)` for the rows of `_idr_sp_in` (after value caps)."""
    features = [r[0] for r in con.execute("DESCRIBE _idr_sp_in").fetchall() if r[0] not in ("unique_id", "det")]
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _idr_sp_sig AS
        WITH det_sig AS (
            SELECT d.label AS det, hash(bit_xor(hash(r.record_key)), count(*)) AS det_sig
            FROM _idr_det d JOIN _idr_rec r USING (rid)
            WHERE d.label IN (SELECT det FROM _idr_sp_in)
            GROUP BY 1)
        SELECT s.unique_id, r.record_key,
               hash(r.record_key, ds.det_sig, {', '.join(f's.{c}' for c in features)}) AS row_sig
        FROM _idr_sp_in s JOIN _idr_rec r ON r.rid = s.unique_id JOIN det_sig ds USING (det)
    """)


def mark_dirty(con: duckdb.DuckDBPyConnection, schema: str) -> tuple[int, int]:
    """Adds `is_dirty` to `_idr_sp_in`: no saved row has this row's signature. Returns (dirty, rows)."""
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _idr_sp_clean AS
        SELECT s.unique_id FROM _idr_sp_sig s
        JOIN {schema}.{ROWS} p ON p.record_key = s.record_key AND p.row_sig = s.row_sig
    """)
    con.execute("ALTER TABLE _idr_sp_in ADD COLUMN is_dirty BOOLEAN DEFAULT true")
    con.execute("UPDATE _idr_sp_in SET is_dirty = false WHERE unique_id IN (SELECT unique_id FROM _idr_sp_clean)")
    dirty, total = con.execute("SELECT count(*) FILTER (WHERE is_dirty), count(*) FROM _idr_sp_in").fetchall()[0]
    return int(dirty), int(total)


def reuse_blocker(saved: SavedModel | None, fp: str, as_of: date | None, inc: dict[str, Any], backend: str,
                  n_rows: int, min_rows: int) -> str | None:
    """Why this run cannot reuse the saved model and pairs (None: it can, pending the dirty share)."""
    if not inc["enabled"]:
        return "incremental scoring disabled (splink.incremental.enabled)"
    if backend != "duckdb":
        return "incremental scoring runs on the DuckDB backend only"
    if saved is None:
        return "no saved model and pairs (first run)"
    if n_rows < min_rows:
        return "too few rows to train: the full path is as cheap"
    if saved.fingerprint != fp:
        return "the configuration or the columns the data fills changed since the model was trained"
    if as_of is None:
        return "no as-of date to age the model by"
    age = (as_of - saved.trained_as_of).days
    if age < 0:
        return f"the saved model was trained as of {saved.trained_as_of}, after this run's date {as_of}"
    if age > int(inc["retrain_after_days"]):
        return f"the model is {age} days old (retrain_after_days = {inc['retrain_after_days']})"
    return None


def reused_pairs(con: duckdb.DuckDBPyConnection, schema: str) -> str:
    """SQL of the saved pairs whose two rows are clean and still in different deterministic
    clusters, with this run's row ids; columns as Splink's predictions."""
    cols = [r[0] for r in con.execute(f"DESCRIBE {schema}.{PAIRS}").fetchall()
            if r[0] not in ("record_key_l", "record_key_r")]
    return f"""
        SELECT least(sl.unique_id, sr.unique_id) AS unique_id_l, greatest(sl.unique_id, sr.unique_id) AS unique_id_r,
               {', '.join(f'p.{c}' for c in cols)}
        FROM {schema}.{PAIRS} p
        JOIN _idr_sp_sig sl ON sl.record_key = p.record_key_l JOIN _idr_sp_clean cl ON cl.unique_id = sl.unique_id
        JOIN _idr_sp_sig sr ON sr.record_key = p.record_key_r JOIN _idr_sp_clean cr ON cr.unique_id = sr.unique_id
        JOIN _idr_det dl ON dl.rid = sl.unique_id JOIN _idr_det dr ON dr.rid = sr.unique_id
        WHERE dl.label <> dr.label"""


def save_state(con: duckdb.DuckDBPyConnection, schema: str, model: SavedModel) -> None:
    """This run's model, rows and pairs (`_idr_sp_pred` before the household guard) for the next run."""
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    pred_cols = [r[0] for r in con.execute("DESCRIBE _idr_sp_pred").fetchall()
                 if r[0] not in ("unique_id_l", "unique_id_r", "household_guarded")]
    con.execute(f"""
        CREATE OR REPLACE TABLE {schema}.{PAIRS} AS
        SELECT l.record_key AS record_key_l, r.record_key AS record_key_r, {', '.join(f'p.{c}' for c in pred_cols)}
        FROM _idr_sp_pred p JOIN _idr_rec l ON l.rid = p.unique_id_l JOIN _idr_rec r ON r.rid = p.unique_id_r
    """)
    con.execute(f"CREATE OR REPLACE TABLE {schema}.{ROWS} AS SELECT record_key, row_sig FROM _idr_sp_sig")
    con.execute(f"""CREATE OR REPLACE TABLE {schema}.{MODEL} AS
                    SELECT ?::VARCHAR AS settings_json, ?::VARCHAR AS fingerprint, ?::DATE AS trained_as_of,
                           ?::VARCHAR AS method, ?::VARCHAR AS em_blocks_json, ?::VARCHAR AS fallbacks_json""",
                [json.dumps(model.settings), model.fingerprint, model.trained_as_of, model.method,
                 json.dumps(model.em_blocks), json.dumps(model.fallbacks)])


def drop_state(con: duckdb.DuckDBPyConnection, schema: str) -> None:
    """Nothing to reuse (Splink did not run): a stale state must not be picked up later."""
    for table in (MODEL, ROWS, PAIRS):
        if _exists(con, schema, table):
            con.execute(f"DROP TABLE {schema}.{table}")


def incremental_settings(saved: SavedModel, blocking_rules: list[str]) -> dict[str, Any]:
    """The saved model predicting only pairs with a dirty side."""
    settings = json.loads(json.dumps(saved.settings))
    settings["blocking_rules_to_generate_predictions"] = [
        f"({rule}) AND l.det <> r.det AND {DIRTY_CLAUSE}" for rule in blocking_rules]
    return settings
