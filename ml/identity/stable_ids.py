"""Stable customer ids across runs (crosswalk + aliases).

Rules (documented in config/identity.yaml and the package docstring):
* ids are `CUST-` + zero-padded counter; a new customer takes max(previous counter) + 1, new
  customers of one run numbered in order of (first record_ts, smallest record key) — the
  counter therefore also orders customers by age;
* a previous id is kept by the new cluster holding most of its previous records (ties: the
  part with the smallest record key `source:source_record_id`);
* a cluster keeping several previous ids (a merge) keeps the oldest (smallest counter) and
  records the others as aliases alias_id -> customer_id with the run's as_of;
* a part of a split that keeps no id gets a new one.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import duckdb
import pandas as pd

_NUM = re.compile(r"(\d+)$")


def _num(customer_id: str) -> int | None:
    m = _NUM.search(customer_id or "")
    return int(m.group(1)) if m else None


def assign_ids(con: duckdb.DuckDBPyConnection, cfg: dict[str, Any], previous_identity: pd.DataFrame | str | None,
               previous_aliases: pd.DataFrame | None, as_of: date) -> dict[str, int]:
    """Reads `_idr_final(rid, label)` + `_idr_rec`; writes `_idr_ids(label, customer_id)` and
    `_idr_alias(alias_id, customer_id, as_of, reason)`. `previous_identity`: a frame or the name of
    a table of `con` (customer_id, source, source_record_id)."""
    prefix = cfg["ids"]["prefix"]
    width = int(cfg["ids"]["width"])
    if isinstance(previous_identity, str):
        # a table of the same connection: copied by DuckDB, never pulled into pandas (15M rows at 1M customers)
        con.execute(f"""CREATE OR REPLACE TEMP TABLE _idr_prev AS
                         SELECT customer_id::VARCHAR AS customer_id, source::VARCHAR AS source,
                                source_record_id::VARCHAR AS source_record_id FROM {previous_identity}""")
    else:
        prev = previous_identity if previous_identity is not None else pd.DataFrame(
            columns=["customer_id", "source", "source_record_id"])
        prev = prev[["customer_id", "source", "source_record_id"]].astype(str)
        con.register("_idr_prev_src", prev)
        con.execute("CREATE OR REPLACE TEMP TABLE _idr_prev AS SELECT * FROM _idr_prev_src")
        con.unregister("_idr_prev_src")
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _idr_pm AS
        SELECT f.label, p.customer_id, count(*) AS n, min(r.record_key) AS minkey
        FROM _idr_final f JOIN _idr_rec r USING (rid)
        JOIN _idr_prev p ON p.source = r.source AND p.source_record_id = r.source_record_id
        GROUP BY ALL
    """)
    keep = con.execute("""
        SELECT customer_id, arg_min(label, (-n, minkey)) AS label FROM _idr_pm GROUP BY 1
    """).df()
    keep["num"] = keep["customer_id"].map(_num)
    keep = keep.sort_values(["label", "num", "customer_id"], na_position="last")
    survivors = keep.drop_duplicates("label", keep="first")
    merged = keep[~keep.index.isin(survivors.index)].merge(
        survivors[["label", "customer_id"]].rename(columns={"customer_id": "survivor"}), on="label")

    clusters = con.execute("""
        SELECT f.label, min(r.record_ts) AS first_ts, min(r.record_key) AS minkey,
               count(p.customer_id) AS n_prev
        FROM _idr_final f JOIN _idr_rec r USING (rid)
        LEFT JOIN _idr_prev p ON p.source = r.source AND p.source_record_id = r.source_record_id
        GROUP BY 1
    """).df()
    clusters = clusters.merge(survivors[["label", "customer_id"]], on="label", how="left")
    # the counter: largest number of any previous id (one SQL pass, not a Python call per record)
    top = con.execute(r"""SELECT max(TRY_CAST(regexp_extract(customer_id, '(\d+)$', 1) AS HUGEINT))
                          FROM (SELECT DISTINCT customer_id FROM _idr_prev)""").fetchall()[0][0]
    nums = [] if top is None else [int(top)]
    if previous_aliases is not None and len(previous_aliases):
        for col in ("alias_id", "customer_id"):
            nums += [x for x in previous_aliases[col].astype(str).map(_num).tolist() if x is not None]
    counter = max(nums, default=0)
    new = clusters[clusters["customer_id"].isna()].sort_values(["first_ts", "minkey"], na_position="last")
    new_ids = [f"{prefix}{counter + i + 1:0{width}d}" for i in range(len(new))]
    clusters.loc[new.index, "customer_id"] = new_ids
    con.register("_idr_ids_src", clusters[["label", "customer_id"]])
    con.execute("CREATE OR REPLACE TEMP TABLE _idr_ids AS SELECT * FROM _idr_ids_src")
    con.unregister("_idr_ids_src")

    # aliases: this run's merges + the previous alias table re-pointed at surviving ids
    current = set(clusters["customer_id"])
    target = dict(zip(merged["customer_id"], merged["survivor"]))
    rows = [{"alias_id": a, "customer_id": s, "as_of": as_of, "reason": "merged"} for a, s in target.items()]
    if previous_aliases is not None and len(previous_aliases):
        for rec in previous_aliases.to_dict("records"):
            alias, tgt = str(rec["alias_id"]), str(rec["customer_id"])
            seen = set()
            while tgt in target and tgt not in seen:
                seen.add(tgt)
                tgt = target[tgt]
            if alias in current or alias in target:
                continue  # the id is live again or was re-aliased in this run
            rows.append({"alias_id": alias, "customer_id": tgt, "as_of": rec.get("as_of", as_of),
                         "reason": rec.get("reason", "merged")})
    aliases = pd.DataFrame(rows, columns=["alias_id", "customer_id", "as_of", "reason"])
    aliases["as_of"] = pd.to_datetime(aliases["as_of"]).dt.date
    con.register("_idr_alias_src", aliases)
    con.execute("""CREATE OR REPLACE TEMP TABLE _idr_alias AS
                   SELECT alias_id::VARCHAR AS alias_id, customer_id::VARCHAR AS customer_id,
                          as_of::DATE AS as_of, reason::VARCHAR AS reason FROM _idr_alias_src""")
    con.unregister("_idr_alias_src")

    changed = con.execute("""
        SELECT count(*) FILTER (WHERE p.customer_id IS NOT NULL AND p.customer_id <> i.customer_id),
               count(*) FILTER (WHERE p.customer_id IS NULL)
        FROM _idr_final f JOIN _idr_rec r USING (rid) JOIN _idr_ids i USING (label)
        LEFT JOIN _idr_prev p ON p.source = r.source AND p.source_record_id = r.source_record_id
    """).fetchall()[0]
    prev_ids = {r[0] for r in con.execute("SELECT DISTINCT customer_id FROM _idr_prev").fetchall()}
    return {
        "customers_kept_id": len(survivors),
        "customers_new": int(((clusters["n_prev"] == 0)).sum()),
        "customers_split_off": int(((clusters["n_prev"] > 0) & clusters["label"].isin(new["label"])).sum()),
        "ids_merged": len(merged),
        "ids_retired": len(prev_ids - current - set(target)),
        "records_id_changed": int(changed[0]),
        "records_new": int(changed[1]),
        "id_counter": int(counter + len(new_ids)),
    }


def id_stability(stats: dict[str, Any], previous_records: int, cfg: dict[str, Any]) -> dict[str, Any]:
    """Did too many records change customer_id since the previous run? (merges and splits beyond
    ``ids.max_changed_share`` of the previous records mean the matching moved, not the data)."""
    changed = int(stats.get("records_id_changed", 0))
    share = changed / previous_records if previous_records else 0.0
    max_share = float(cfg["ids"]["max_changed_share"])
    return {
        "passed": share <= max_share,
        "records_id_changed": changed,
        "previous_records": previous_records,
        "changed_share": round(share, 6),
        "max_changed_share": max_share,
        "ids_merged": int(stats.get("ids_merged", 0)),
        "customers_new": int(stats.get("customers_new", 0)),
        "customers_split_off": int(stats.get("customers_split_off", 0)),
    }
