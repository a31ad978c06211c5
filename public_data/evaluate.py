"""Scores of a finished pipeline run against a public dataset's truth (read from the run's DuckDB).

Identity: pairwise precision / recall / F1 of ``core.customer_identity`` against
``truth/record_map.csv``. Churn on CDNOW: ROC AUC of ``marts.customer_360.churn_probability``
against "no purchase in the holdout" (``truth/holdout.csv``), beside the two baselines
computed from the same run — BG/NBD expected purchases (lower = more likely to churn) and
recency alone.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
from sklearn.metrics import roc_auc_score

from ml.identity.evaluate import evaluate_against_truth

#: where a run keeps each customer's BG/NBD expectation (table, column) — first found is used
BTYD_COLUMNS = [("ml.customer_btyd", "expected_purchases"), ("ml.churn_scores", "btyd_expected_purchases")]


def identity_scores(database: Path, landing: Path) -> dict[str, float]:
    con = duckdb.connect(str(database), read_only=True)
    try:
        identity = con.execute("SELECT customer_id, source, source_record_id FROM core.customer_identity").df()
    finally:
        con.close()
    truth = pd.read_csv(Path(landing) / "truth" / "record_map.csv", dtype=str)
    return evaluate_against_truth(identity, truth)


def _btyd_expectations(con: duckdb.DuckDBPyConnection) -> pd.DataFrame | None:
    tables = {f"{s}.{t}" for s, t in con.execute("SELECT schema_name, table_name FROM duckdb_tables()").fetchall()}
    for table, column in BTYD_COLUMNS:
        if table in tables:
            cols = {r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()}
            if column in cols:
                return con.execute(f"SELECT customer_id, {column} AS btyd FROM {table}").df()
    return None


def churn_scores(database: Path, landing: Path) -> dict[str, float]:
    """ROC AUCs on the holdout label; every landed contact must have a customer_360 row."""
    con = duckdb.connect(str(database), read_only=True)
    try:
        c360 = con.execute("""
            SELECT i.source_record_id AS contact_id, c.customer_id, c.churn_probability, c.recency_days,
                   c.churn_model
            FROM marts.customer_360 c
            JOIN core.customer_identity i ON i.customer_id = c.customer_id AND i.source = 'crm_contact'
        """).df()
        btyd = _btyd_expectations(con)
    finally:
        con.close()
    holdout = pd.read_csv(Path(landing) / "truth" / "holdout.csv", dtype={"contact_id": str})
    frame = holdout.merge(c360, on="contact_id", how="left")
    missing = int(frame["customer_id"].isna().sum())
    if missing:
        raise AssertionError(f"{missing} landed contacts have no customer_360 row")
    y = (frame["holdout_orders"] == 0).astype(int).to_numpy()
    out: dict[str, float] = {
        "customers": len(frame),
        "churned_share": round(float(y.mean()), 4),
        "auc_model": round(float(roc_auc_score(y, frame["churn_probability"].fillna(0.5))), 4),
        "auc_recency": round(float(roc_auc_score(y, frame["recency_days"].fillna(frame["recency_days"].max()))), 4),
        "churn_model": ",".join(sorted(frame["churn_model"].dropna().astype(str).unique())),
    }
    if btyd is not None:
        frame = frame.merge(btyd, on="customer_id", how="left")
        out["auc_bgnbd"] = round(float(roc_auc_score(y, -frame["btyd"].fillna(0.0))), 4)
    return out
