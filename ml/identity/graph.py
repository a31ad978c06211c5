"""Deterministic identity graph: strong keys, junk-hub removal, name-compatibility guard and
connected components (scipy on integer-coded edges, DuckDB SQL for everything set-based).

All intermediate tables are TEMP tables prefixed `_idr_` on the caller's connection.
"""

from __future__ import annotations

from typing import Any

import duckdb
import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

TEXT_COLS = [
    "source", "source_record_id", "crm_contact_id", "phone_e164", "phone_e164_extra", "email_key",
    "first_name_key", "last_name_key", "middle_name_key", "first_name_canonical_key", "name_key",
    "city_key", "postcode", "address_key", "first_name", "last_name", "middle_name",
    "full_name_clean", "phone_e164_display", "email", "city", "address", "company", "manager",
    "birth_date_key", "national_id_key",
]
OTHER_COLS = {"is_placeholder_name": "BOOLEAN", "birth_date": "DATE", "record_ts": "TIMESTAMP",
              "source_priority": "INTEGER"}


def components(n_nodes: int, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Connected components; each node is labelled with the smallest node id of its component."""
    if n_nodes == 0:
        return np.zeros(0, dtype=np.int64)
    src = np.asarray(src, dtype=np.int64)
    dst = np.asarray(dst, dtype=np.int64)
    graph = coo_matrix((np.ones(len(src), dtype=np.int8), (src, dst)), shape=(n_nodes, n_nodes)).tocsr()
    n_comp, labels = connected_components(graph, directed=False)
    min_node = np.full(n_comp, n_nodes, dtype=np.int64)
    np.minimum.at(min_node, labels, np.arange(n_nodes, dtype=np.int64))
    return min_node[labels]


def put_labels(con: duckdb.DuckDBPyConnection, name: str, labels: np.ndarray) -> None:
    frame = pd.DataFrame({"rid": np.arange(len(labels), dtype=np.int64), "label": labels.astype(np.int64)})
    con.register("_idr_labels_src", frame)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM _idr_labels_src")
    con.unregister("_idr_labels_src")


def edges(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[np.ndarray, np.ndarray]:
    arr = con.execute(f"SELECT a::BIGINT AS a, b::BIGINT AS b FROM ({sql})").fetchnumpy()
    return np.asarray(arr["a"]), np.asarray(arr["b"])


def prepare_records(con: duckdb.DuckDBPyConnection, records_table: str, cfg: dict[str, Any]) -> int:
    """Copy the input into `_idr_rec` with an integer record id `rid` (ordered by source,
    source_record_id), missing optional columns filled with NULL, and helper columns."""
    existing = {r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {records_table}").fetchall()}
    if not {"source", "source_record_id"} <= existing:
        raise ValueError(f"{records_table} must have source and source_record_id columns")
    cols = []
    for c in TEXT_COLS:
        cols.append(f"CAST({c} AS VARCHAR) AS {c}" if c in existing else f"CAST(NULL AS VARCHAR) AS {c}")
    prio = cfg["survivorship"]["source_priority"]
    for c, typ in OTHER_COLS.items():
        if c in existing:
            cols.append(f"CAST({c} AS {typ}) AS {c}")
        elif c == "source_priority":
            case = " ".join(f"WHEN '{s}' THEN {int(p)}" for s, p in prio.items())
            cols.append(f"CAST(CASE source {case} ELSE 99 END AS INTEGER) AS source_priority" if case
                        else "99 AS source_priority")
        else:
            cols.append(f"CAST(NULL AS {typ}) AS {c}")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _idr_in AS SELECT {', '.join(cols)} FROM {records_table}
    """)
    dup = con.execute("""SELECT count(*) FROM (SELECT source, source_record_id FROM _idr_in
                         GROUP BY ALL HAVING count(*) > 1)""").fetchall()[0][0]
    if dup:
        raise ValueError(f"{dup} (source, source_record_id) pairs occur more than once in {records_table}")
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _idr_rec AS
        SELECT (row_number() OVER (ORDER BY source, source_record_id) - 1)::BIGINT AS rid,
               * REPLACE (nullif(trim(crm_contact_id), '') AS crm_contact_id,
                          nullif(trim(phone_e164), '') AS phone_e164,
                          nullif(trim(phone_e164_extra), '') AS phone_e164_extra,
                          nullif(trim(email_key), '') AS email_key,
                          coalesce(source_priority, 99) AS source_priority,
                          coalesce(is_placeholder_name, false) AS is_placeholder_name),
               coalesce(nullif(first_name_canonical_key, ''), nullif(first_name_key, '')) AS fname,
               (NOT coalesce(is_placeholder_name, false)
                AND coalesce(nullif(first_name_canonical_key, ''), nullif(first_name_key, '')) IS NOT NULL
               ) AS has_name,
               source || ':' || source_record_id AS record_key
        FROM _idr_in
    """)
    con.execute("DROP TABLE _idr_in")
    return con.execute("SELECT count(*) FROM _idr_rec").fetchall()[0][0]


def build_keys(con: duckdb.DuckDBPyConnection, cfg: dict[str, Any]) -> None:
    """`_idr_keys(rid, ktype, kval, priority, is_hub)` and `_idr_keystats`."""
    det = cfg["deterministic"]
    parts = [
        f"SELECT rid, '{k['type']}' AS ktype, {k['column']} AS kval, {int(k.get('priority', 9))} AS priority "
        f"FROM _idr_rec WHERE {k['column']} IS NOT NULL"
        for k in det["keys"]
    ]
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _idr_keys0 AS
                    SELECT rid, ktype, kval, min(priority) AS priority FROM ({' UNION ALL '.join(parts)})
                    GROUP BY ALL""")
    caps = det["hub_caps"]

    def cap_expr(col: str, name: str) -> str:
        terms = []
        for ktype, c in caps.items():
            if c[name] is not None:
                terms.append(f"(ktype = '{ktype}' AND {col} > {int(c[name])})")
        return " OR ".join(terms) if terms else "false"

    con.execute("""
        CREATE OR REPLACE TEMP TABLE _idr_keystats AS
        SELECT k.ktype, k.kval, count(*) AS n_records,
               count(DISTINCT r.name_key) FILTER (WHERE r.has_name) AS n_names,
               count(DISTINCT r.crm_contact_id) AS n_contacts
        FROM _idr_keys0 k JOIN _idr_rec r USING (rid) GROUP BY ALL
    """)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _idr_keystats AS
        SELECT *, ({cap_expr('n_names', 'max_distinct_names')}
                   OR {cap_expr('n_contacts', 'max_distinct_contacts')}
                   OR {cap_expr('n_records', 'max_records')}) AS is_hub
        FROM _idr_keystats
    """)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _idr_keys AS
        SELECT k.*, s.is_hub FROM _idr_keys0 k JOIN _idr_keystats s USING (ktype, kval)
    """)
    con.execute("DROP TABLE _idr_keys0")


def _compat_sql(cfg: dict[str, Any]) -> str:
    guard = cfg["deterministic"]["name_guard"]
    t_first = float(guard["first_name_min_jaro_winkler"])
    t_last = guard["last_name_min_jaro_winkler"]
    swapped = "(a.fname = b.lkey AND a.lkey = b.fname)"
    first_ok = (f"(a.fname = b.fname OR {swapped} "
                f"OR jaro_winkler_similarity(a.fkey, b.fkey) >= {t_first} "
                f"OR jaro_winkler_similarity(a.fname, b.fname) >= {t_first})")
    last_ok = "true"
    if t_last is not None:
        fold = "regexp_replace({x}, '(a|aya|ая)$', '')"
        last_ok = (f"(a.lkey IS NULL OR b.lkey IS NULL OR {swapped} OR jaro_winkler_similarity("
                   f"{fold.format(x='a.lkey')}, {fold.format(x='b.lkey')}) >= {float(t_last)})")
    bd_ok = ("(a.bd IS NULL OR b.bd IS NULL OR a.bd = b.bd OR "
             "levenshtein(strftime(a.bd, '%Y%m%d'), strftime(b.bd, '%Y%m%d')) <= 1)")
    return f"({first_ok} AND {last_ok} AND {bd_ok})"


def deterministic_clusters(con: duckdb.DuckDBPyConnection, n: int, cfg: dict[str, Any],
                           timings: dict[str, float] | None = None) -> dict[str, int]:
    """Builds `_idr_det(rid, det)`: deterministic cluster label (min rid) per record."""
    guard_types = list(cfg["deterministic"]["name_guard"]["key_types"])
    guard_in = "(" + ", ".join(f"'{t}'" for t in guard_types) + ")" if guard_types else "('')"

    # phase 1: crm_contact_id groups (and unguarded key types) -> comp
    a1, b1 = edges(con, f"""
        SELECT rid AS a, min(rid) OVER (PARTITION BY ktype, kval) AS b
        FROM _idr_keys WHERE NOT is_hub AND ktype NOT IN {guard_in}""")
    comp = components(n, a1, b1)
    put_labels(con, "_idr_comp", comp)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _idr_compname AS
        SELECT c.label AS comp, bool_or(r.has_name) AS named
        FROM _idr_comp c JOIN _idr_rec r USING (rid) GROUP BY 1
    """)
    # comps also carry the names of their other records (e.g. the crm_contact row for a ticket)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _idr_kv AS
        SELECT DISTINCT kc.ktype, kc.kval, kc.comp, r.fname, r.first_name_key AS fkey,
               r.last_name_key AS lkey, r.birth_date AS bd
        FROM (SELECT DISTINCT k.ktype, k.kval, c.label AS comp
              FROM _idr_keys k JOIN _idr_comp c USING (rid)
              WHERE NOT k.is_hub AND k.ktype IN {guard_in}) kc
        JOIN _idr_compname cn ON cn.comp = kc.comp AND cn.named
        JOIN _idr_comp c2 ON c2.label = kc.comp
        JOIN _idr_rec r ON r.rid = c2.rid AND r.has_name
    """)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _idr_kvar AS
        SELECT ktype, kval, count(DISTINCT (fname, fkey, lkey, bd)) AS nv FROM _idr_kv GROUP BY ALL
    """)
    # simple keys (one name variant): every named comp joins the smallest named comp
    a2, b2 = edges(con, """
        SELECT comp AS a, min(comp) OVER (PARTITION BY ktype, kval) AS b
        FROM _idr_kv JOIN _idr_kvar USING (ktype, kval) WHERE nv = 1""")
    # multi-variant keys: compatibility classes of variants, computed per key
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _idr_vi AS
        SELECT *, row_number() OVER (ORDER BY ktype, kval, fname, fkey, lkey, bd) - 1 AS vid
        FROM (SELECT DISTINCT ktype, kval, fname, fkey, lkey, bd
              FROM _idr_kv JOIN _idr_kvar USING (ktype, kval) WHERE nv > 1)
    """)
    pairs = con.execute(f"""
        SELECT a.vid AS a, b.vid AS b, {_compat_sql(cfg)} AS ok
        FROM _idr_vi a JOIN _idr_vi b ON a.ktype = b.ktype AND a.kval = b.kval AND a.vid < b.vid
    """).fetchnumpy()
    n_var = con.execute("SELECT count(*) FROM _idr_vi").fetchall()[0][0]
    ok = np.asarray(pairs["ok"], dtype=bool) if len(pairs["a"]) else np.zeros(0, dtype=bool)
    vlab = components(n_var, np.asarray(pairs["a"])[ok], np.asarray(pairs["b"])[ok])
    put_labels(con, "_idr_vclass", vlab)
    a3, b3 = edges(con, """
        WITH m AS (SELECT kv.comp, v.ktype, v.kval, vc.label AS cls
                   FROM _idr_kv kv JOIN _idr_vi v
                     ON kv.ktype = v.ktype AND kv.kval = v.kval AND kv.fname IS NOT DISTINCT FROM v.fname
                    AND kv.fkey IS NOT DISTINCT FROM v.fkey AND kv.lkey IS NOT DISTINCT FROM v.lkey
                    AND kv.bd IS NOT DISTINCT FROM v.bd
                   JOIN _idr_vclass vc ON vc.rid = v.vid)
        SELECT comp AS a, min(comp) OVER (PARTITION BY ktype, kval, cls) AS b FROM m""")
    named = components(n, np.concatenate([a1, a2, a3]), np.concatenate([b1, b2, b3]))
    put_labels(con, "_idr_named", named)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _idr_ncl AS
        SELECT n.label AS cl, bool_or(r.has_name) AS named
        FROM _idr_named n JOIN _idr_rec r USING (rid) GROUP BY 1
    """)
    # key owners: the named cluster holding most records of a guarded key
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _idr_owner AS
        SELECT ktype, kval, arg_min(cl, (-cnt, cl)) AS owner
        FROM (SELECT k.ktype, k.kval, n.label AS cl, count(*) AS cnt
              FROM _idr_keys k JOIN _idr_named n USING (rid) JOIN _idr_ncl c ON c.cl = n.label
              WHERE NOT k.is_hub AND k.ktype IN {guard_in} AND c.named GROUP BY ALL)
        GROUP BY ALL
    """)
    # nameless clusters: join each other through ownerless keys ...
    a4, b4 = edges(con, f"""
        SELECT rid AS a, min(rid) OVER (PARTITION BY ktype, kval) AS b
        FROM _idr_keys k ANTI JOIN _idr_owner o USING (ktype, kval)
        WHERE NOT k.is_hub AND k.ktype IN {guard_in}""")
    nl = components(n, np.concatenate([a1, a2, a3, a4]), np.concatenate([b1, b2, b3, b4]))
    put_labels(con, "_idr_nl", nl)
    # ... then attach to the owner of their strongest owned key
    a5, b5 = edges(con, f"""
        WITH nameless AS (
            SELECT l.rid, l.label FROM _idr_nl l JOIN _idr_named n USING (rid)
            JOIN _idr_ncl c ON c.cl = n.label WHERE NOT c.named),
        cand AS (
            SELECT nl.label, o.owner, min(k.priority) AS prio, count(*) AS cnt
            FROM nameless nl JOIN _idr_keys k USING (rid) JOIN _idr_owner o USING (ktype, kval)
            WHERE NOT k.is_hub AND k.ktype IN {guard_in} GROUP BY ALL)
        SELECT label AS a, arg_min(owner, (prio, -cnt, owner)) AS b FROM cand GROUP BY label""")
    det = components(n, np.concatenate([a1, a2, a3, a4, a5]), np.concatenate([b1, b2, b3, b4, b5]))
    put_labels(con, "_idr_det", det)
    hubs = con.execute("SELECT count(*) FILTER (WHERE is_hub), count(*) FROM _idr_keystats").fetchall()[0]
    return {"hub_keys": int(hubs[0]), "distinct_keys": int(hubs[1]),
            "guarded_multi_name_keys": int(con.execute("SELECT count(*) FROM _idr_kvar WHERE nv > 1").fetchall()[0][0]),
            "deterministic_clusters": len(np.unique(det))}
