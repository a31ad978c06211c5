"""Accuracy of an identity assignment against ground truth (pairwise and cluster level).

Computed in DuckDB (one SQL for frames and for tables): at a million customers the crosswalk and
the truth map hold ~15M records each, which pandas merges and group-bys would hold several times
over in memory; DuckDB streams and spills."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

TRUTH_COLUMNS = ("person_id", "true_id", "truth_id", "entity_id", "customer_id")


def _metrics(con: duckdb.DuckDBPyConnection, pred_sql: str, truth_sql: str) -> dict[str, float]:
    """`pred_sql`: (source, source_record_id, pred); `truth_sql`: (source, source_record_id, truth)."""
    row = con.execute(f"""
        WITH pred AS ({pred_sql}),
        truth AS (SELECT * FROM ({truth_sql}) WHERE truth IS NOT NULL AND trim(truth) <> ''),
        m AS (SELECT p.pred, t.truth FROM pred p JOIN truth t USING (source, source_record_id)),
        pt AS (SELECT pred, truth, count(*)::HUGEINT AS n_pt FROM m GROUP BY ALL),
        np AS (SELECT pred, sum(n_pt) AS n_p, count(*) AS k FROM pt GROUP BY 1),
        nt AS (SELECT truth, sum(n_pt) AS n_t, count(*) AS k FROM pt GROUP BY 1),
        j AS (SELECT pt.n_pt, np.n_p, nt.n_t FROM pt JOIN np USING (pred) JOIN nt USING (truth))
        SELECT (SELECT count(*) FROM pred),
               (SELECT coalesce(sum(n_pt), 0) FROM pt),
               (SELECT coalesce(sum(n_pt * (n_pt - 1) // 2), 0) FROM pt),
               (SELECT coalesce(sum(n_p * (n_p - 1) // 2), 0) FROM np),
               (SELECT coalesce(sum(n_t * (n_t - 1) // 2), 0) FROM nt),
               (SELECT coalesce(sum(n_pt * n_pt / n_p), 0) FROM j),
               (SELECT coalesce(sum(n_pt * n_pt / n_t), 0) FROM j),
               (SELECT count(*) FROM j WHERE n_pt = n_p AND n_pt = n_t),
               (SELECT count(*) FROM nt), (SELECT count(*) FROM np),
               (SELECT count(*) FROM np WHERE k > 1), (SELECT count(*) FROM nt WHERE k > 1)
    """).fetchall()[0]
    n_pred, n, tp, pred_pairs, true_pairs, bp, br, exact, n_truth, n_clusters, over, under = (
        int(row[0]), int(row[1]), int(row[2]), int(row[3]), int(row[4]), float(row[5]), float(row[6]),
        int(row[7]), int(row[8]), int(row[9]), int(row[10]), int(row[11]))
    precision = tp / pred_pairs if pred_pairs else 1.0
    recall = tp / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    # B-cubed: per record, |pred ∩ truth| / |pred| and / |truth|, averaged over records
    b_p = bp / n if n else 1.0
    b_r = br / n if n else 1.0
    b_f1 = 2 * b_p * b_r / (b_p + b_r) if b_p + b_r else 0.0
    return {
        "records_evaluated": n,
        "records_missing_truth": n_pred - n,
        "pairwise_precision": round(precision, 6),
        "pairwise_recall": round(recall, 6),
        "pairwise_f1": round(f1, 6),
        "bcubed_precision": round(b_p, 6),
        "bcubed_recall": round(b_r, 6),
        "bcubed_f1": round(b_f1, 6),
        "true_entities": n_truth,
        "predicted_clusters": n_clusters,
        "exact_cluster_share": round(exact / n_truth, 6) if n_truth else 1.0,
        "over_merged_clusters": over,
        "under_merged_entities": under,
    }


def evaluate_against_truth(identity_df: pd.DataFrame, record_map_df: pd.DataFrame) -> dict[str, float]:
    """`identity_df`: customer_id, source, source_record_id (predicted);
    `record_map_df`: source, source_record_id and a truth id column (`person_id`, `true_id`,
    `truth_id` or `entity_id`). Records missing from either side or with an empty truth id are ignored (and counted).

    Returns pairwise precision / recall / F1 (pairs of records in the same cluster),
    B-cubed precision / recall / F1, the share of true clusters reproduced exactly, and the
    numbers of over-merged predicted clusters (hold >1 true entity) and under-merged true
    entities (spread over >1 predicted cluster)."""
    truth_col = next((c for c in TRUTH_COLUMNS if c in record_map_df.columns), None)
    if truth_col is None:
        raise ValueError("record_map_df needs a truth id column (person_id / true_id / entity_id)")
    keys = ["source", "source_record_id"]
    pred = identity_df[keys + ["customer_id"]].astype(str).rename(columns={"customer_id": "pred"})
    truth = record_map_df[keys + [truth_col]].dropna(subset=[truth_col]).astype(str).rename(
        columns={truth_col: "truth"})
    con = duckdb.connect()
    try:
        con.register("_pred", pred)
        con.register("_truth", truth)
        return _metrics(con, "SELECT * FROM _pred", "SELECT * FROM _truth")
    finally:
        con.close()


def evaluate_tables(con: duckdb.DuckDBPyConnection, identity_table: str, record_map_csv: Path | str) -> dict[str, float]:
    """The same metrics for a crosswalk table (customer_id, source, source_record_id) against a truth
    CSV read by DuckDB — nothing of either side is pulled into Python."""
    path = str(record_map_csv).replace("'", "''")
    cols = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM read_csv('{path}', all_varchar = true)").fetchall()]
    truth_col = next((c for c in TRUTH_COLUMNS if c in cols), None)
    if truth_col is None:
        raise ValueError(f"{record_map_csv} needs a truth id column (person_id / true_id / entity_id)")
    return _metrics(
        con,
        f"SELECT source::VARCHAR AS source, source_record_id::VARCHAR AS source_record_id, "
        f"customer_id::VARCHAR AS pred FROM {identity_table}",
        f"SELECT source, source_record_id, \"{truth_col}\" AS truth "
        f"FROM read_csv('{path}', all_varchar = true)")
