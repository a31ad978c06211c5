"""`resolve_identities`: deterministic graph -> Splink on top -> decisions -> stable ids ->
golden records. Pure Python + DuckDB SQL; no Dagster."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from clientpulse_config import load

from . import graph
from .golden import build_customers
from .stable_ids import assign_ids

log = logging.getLogger(__name__)

TABLES = {
    "identity": "customer_identity",
    "customers": "customers",
    "aliases": "customer_aliases",
    "review": "identity_review_pairs",
}


@dataclass
class IdentityResult:
    """Names of the DuckDB tables written (schema-qualified) and run statistics.

    `identity`: customer_id, source, source_record_id, match_rule, match_score (every input
    record exactly once); `customers`: golden records; `aliases`: alias_id -> customer_id;
    `review_pairs`: Splink pairs in the uncertain band. Use `frame(name)` to pull one into
    pandas."""

    con: duckdb.DuckDBPyConnection
    identity: str
    customers: str
    aliases: str
    review_pairs: str
    stats: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    splink_model: dict[str, Any] | None = None  # trained Splink settings (m/u), JSON-serialisable

    def frame(self, name: str) -> pd.DataFrame:
        return self.con.execute(f"SELECT * FROM {getattr(self, name)}").df()


def _read_decisions(cfg: dict[str, Any], decisions: pd.DataFrame | None) -> pd.DataFrame:
    cols = ["left_source", "left_source_record_id", "right_source", "right_source_record_id", "decision"]
    if decisions is None:
        path = cfg["decisions"]["path"]
        if path and Path(path).exists():
            decisions = pd.read_csv(path, dtype=str)
        else:
            return pd.DataFrame(columns=cols)
    d = decisions.copy()
    missing = set(cols) - set(d.columns)
    if missing:
        raise ValueError(f"decisions lack columns {sorted(missing)}")
    d = d[cols].astype(str)
    d["decision"] = d["decision"].str.strip().str.lower().str.replace("-", "_")
    bad = set(d["decision"]) - {"must_link", "cannot_link"}
    if bad:
        raise ValueError(f"unknown decisions {sorted(bad)}")
    return d


class _UnionFind:
    def __init__(self, cannot: set[tuple[int, int]]):
        self.parent: dict[int, int] = {}
        self.members: dict[int, set[int]] = {}
        self.cannot: dict[int, set[int]] = {}
        for a, b in cannot:
            self.cannot.setdefault(a, set()).add(b)
            self.cannot.setdefault(b, set()).add(a)

    def find(self, x: int) -> int:
        root = x
        while self.parent.get(root, root) != root:
            root = self.parent[root]
        while self.parent.get(x, x) != root:
            self.parent[x], x = root, self.parent[x]
        return root

    def union(self, a: int, b: int) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        if ra > rb:
            ra, rb = rb, ra
        if self.cannot:
            ma, mb = self.members.get(ra, {ra}), self.members.get(rb, {rb})
            small, big = (ma, mb) if len(ma) < len(mb) else (mb, ma)
            for x in small:
                if self.cannot.get(x, set()) & big:
                    return False
            big |= small
            self.members[ra] = big
            self.members.pop(rb, None)
        self.parent[rb] = ra
        self.parent.setdefault(ra, ra)
        return True


def _merge_clusters(con: duckdb.DuckDBPyConnection, n: int, cfg: dict[str, Any],
                    decisions: pd.DataFrame, stats: dict[str, Any]) -> None:
    """Union deterministic clusters with must-links, then Splink links (highest probability
    first) unless a cannot-link forbids it. Writes `_idr_final(rid, label)`, `_idr_link(det,
    rule, score)` (how each deterministic cluster was attached)."""
    con.register("_idr_dec_src", decisions)
    dec = con.execute("""
        SELECT dl.label AS a, dr.label AS b, d.decision
        FROM _idr_dec_src d
        JOIN _idr_rec l ON l.source = d.left_source AND l.source_record_id = d.left_source_record_id
        JOIN _idr_rec r ON r.source = d.right_source AND r.source_record_id = d.right_source_record_id
        JOIN _idr_det dl ON dl.rid = l.rid JOIN _idr_det dr ON dr.rid = r.rid
    """).df()
    con.unregister("_idr_dec_src")
    stats["decisions_applied"] = len(dec)
    cannot = {(int(a), int(b)) for a, b, k in dec.itertuples(index=False) if k == "cannot_link" and a != b}
    uf = _UnionFind(cannot)
    link_rows: list[tuple[int, str, float]] = []
    for a, b, k in dec.itertuples(index=False):
        if k == "must_link" and a != b and uf.union(int(a), int(b)):
            link_rows += [(int(a), "review_must_link", 1.0), (int(b), "review_must_link", 1.0)]
    has_pred = con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = '_idr_sp_pred'"
                           ).fetchall()[0][0]
    n_links = n_blocked = 0
    if has_pred:
        thr = float(cfg["splink"]["match_threshold"])
        rule = str(stats.get("splink_method") or "splink")  # how the model was set: in every match_rule
        pairs = con.execute(f"""
            SELECT dl.label AS a, dr.label AS b, max(p.match_probability) AS p
            FROM _idr_sp_pred p JOIN _idr_det dl ON dl.rid = p.unique_id_l JOIN _idr_det dr ON dr.rid = p.unique_id_r
            WHERE p.match_probability >= {thr} AND dl.label <> dr.label AND NOT p.household_guarded
            GROUP BY 1, 2 ORDER BY p DESC, a, b
        """).fetchnumpy()
        for a, b, p in zip(pairs["a"].tolist(), pairs["b"].tolist(), pairs["p"].tolist()):
            if uf.union(a, b):
                n_links += 1
                link_rows += [(a, rule, p), (b, rule, p)]
            else:
                n_blocked += 1
    stats["splink_links_applied"] = n_links
    stats["splink_links_blocked_by_cannot_link"] = n_blocked
    det = con.execute("SELECT label FROM _idr_det ORDER BY rid").fetchnumpy()["label"].astype(np.int64)
    if uf.parent:
        keys = np.array(list(uf.parent.keys()), dtype=np.int64)
        roots = np.array([uf.find(int(k)) for k in keys], dtype=np.int64)
        remap = np.arange(n, dtype=np.int64)
        remap[keys] = roots
        final = remap[det]
        # relabel to the min rid of the final cluster
        final = graph.components(n, np.arange(n), final)
    else:
        final = det
    graph.put_labels(con, "_idr_final", final)
    links = pd.DataFrame(link_rows, columns=["det", "rule", "score"])
    links = links.sort_values(["det", "rule", "score"], ascending=[True, True, False]).drop_duplicates(
        "det") if len(links) else links.astype({"det": "int64", "score": "float64"})
    con.register("_idr_link_src", links)
    con.execute("CREATE OR REPLACE TEMP TABLE _idr_link AS SELECT det::BIGINT AS det, rule::VARCHAR AS rule, "
                "score::DOUBLE AS score FROM _idr_link_src")
    con.unregister("_idr_link_src")


def _match_rules(con: duckdb.DuckDBPyConnection, cfg: dict[str, Any]) -> None:
    """`_idr_rule(rid, match_rule, match_score)`: the strongest reason a record sits in its
    customer — a strong key shared with another record of its deterministic cluster, else the
    Splink / must-link edge that attached its deterministic cluster, else singleton."""
    prio = {k["type"]: int(k["priority"]) for k in cfg["deterministic"]["keys"]}
    case = " ".join(f"WHEN '{t}' THEN {p}" for t, p in prio.items())
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _idr_rule AS
        WITH sz AS (SELECT label, count(*) AS n FROM _idr_final GROUP BY 1),
        shared AS (
            SELECT k.rid, k.ktype, count(*) OVER (PARTITION BY d.label, k.ktype, k.kval) AS c
            FROM _idr_keys k JOIN _idr_det d USING (rid) WHERE NOT k.is_hub),
        best AS (SELECT rid, arg_min(ktype, CASE ktype {case} ELSE 99 END) AS ktype
                 FROM shared WHERE c > 1 GROUP BY 1)
        SELECT f.rid,
               CASE WHEN sz.n = 1 THEN 'singleton'
                    WHEN b.ktype IS NOT NULL THEN b.ktype
                    WHEN l.rule IS NOT NULL THEN l.rule
                    ELSE 'transitive' END AS match_rule,
               CASE WHEN sz.n > 1 AND b.ktype IS NULL AND l.rule IS NOT NULL THEN l.score ELSE 1.0 END
                   AS match_score
        FROM _idr_final f JOIN sz USING (label) JOIN _idr_det d USING (rid)
        LEFT JOIN best b USING (rid) LEFT JOIN _idr_link l ON l.det = d.label
    """)


def resolve_identities(
    con: duckdb.DuckDBPyConnection,
    records_table: str,
    config: dict[str, Any] | None = None,
    previous_identity: pd.DataFrame | str | None = None,
    decisions: pd.DataFrame | None = None,
    as_of: date | None = None,
    *,
    write_to_schema: str = "core",
    previous_aliases: pd.DataFrame | None = None,
    table_names: dict[str, str] | None = None,
    record_values: str | None = None,
    state_schema: str | None = None,
) -> IdentityResult:
    """Resolve source records to customers and write `<schema>.customer_identity`,
    `<schema>.customers`, `<schema>.customer_aliases`, `<schema>.identity_review_pairs`.

    `records_table`: one row per accepted source record (see ml/identity/__init__.py).
    `config`: overrides deep-merged over the identity config (config/identity.yaml and the
    user's copy in CLIENTPULSE_CONFIG_DIR), then validated.
    `previous_identity`: last run's crosswalk (customer_id, source, source_record_id): a frame or
    the name of a table of `con`.
    `previous_aliases`: last run's alias table (alias_id, customer_id, as_of[, reason]).
    `decisions`: reviewed pairs (left_source, left_source_record_id, right_source,
    right_source_record_id, decision in must_link|cannot_link); default: config decisions.path.
    `record_values`: SQL giving (source, source_record_id, value) — what a record is worth (order
    amounts); ranks the review queue by the value at stake. None: uncertainty alone.
    `as_of`: stamped on new aliases (default: today's date is NOT used — pass it; falls back
    to the max record_ts date so reruns are reproducible).
    `state_schema`: where the Splink model, rows and pairs are kept between runs, so that the next
    run scores only what changed (ml/identity/incremental.py); None: every run trains and scores all.
    """
    cfg = load("identity", config)
    names = {**TABLES, **(table_names or {})}
    timings: dict[str, float] = {}
    stats: dict[str, Any] = {}
    t0 = t = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal t
        now = time.perf_counter()
        timings[name] = round(now - t, 3)
        t = now

    n = graph.prepare_records(con, records_table, cfg)
    stats["records"] = int(n)
    if as_of is None:
        as_of = con.execute("SELECT coalesce(max(record_ts)::DATE, DATE '1970-01-01') FROM _idr_rec").fetchall()[0][0]
    graph.build_keys(con, cfg)
    lap("keys")
    stats.update(graph.deterministic_clusters(con, n, cfg))
    lap("deterministic")

    con.execute(f"CREATE SCHEMA IF NOT EXISTS {write_to_schema}")
    review_table = f"{write_to_schema}.{names['review']}"
    con.execute("DROP TABLE IF EXISTS _idr_sp_pred")
    if cfg["splink"]["enabled"]:
        from .probabilistic import run_splink

        stats.update(run_splink(con, cfg, timings, state_schema, as_of))
    else:
        stats.update(splink_method="disabled", splink_fallbacks=[])
        if state_schema:
            from .incremental import drop_state

            drop_state(con, state_schema)
    lap("splink")
    dec = _read_decisions(cfg, decisions)
    _merge_clusters(con, n, cfg, dec, stats)
    _match_rules(con, cfg)
    lap("clustering")
    stats.update(assign_ids(con, cfg, previous_identity, previous_aliases, as_of))
    lap("ids")

    con.execute("""CREATE OR REPLACE TEMP TABLE _idr_assign AS
                   SELECT f.rid, i.customer_id FROM _idr_final f JOIN _idr_ids i USING (label)""")
    identity = f"{write_to_schema}.{names['identity']}"
    con.execute(f"""
        CREATE OR REPLACE TABLE {identity} AS
        SELECT a.customer_id, r.source, r.source_record_id, u.match_rule, u.match_score::DOUBLE AS match_score
        FROM _idr_assign a JOIN _idr_rec r USING (rid) JOIN _idr_rule u USING (rid)
        ORDER BY a.customer_id, r.source, r.source_record_id
    """)
    customers = f"{write_to_schema}.{names['customers']}"
    build_customers(con, cfg, customers)
    aliases = f"{write_to_schema}.{names['aliases']}"
    con.execute(f"CREATE OR REPLACE TABLE {aliases} AS SELECT * FROM _idr_alias ORDER BY alias_id")
    _write_review(con, cfg, review_table, dec, record_values)
    lap("outputs")
    timings["total"] = round(time.perf_counter() - t0, 3)
    c = con.execute(f"SELECT count(*), count(DISTINCT customer_id) FROM {identity}").fetchall()[0]
    if c[0] != n:
        raise RuntimeError(f"identity has {c[0]} rows for {n} input records")
    stats["customers"] = int(c[1])
    stats["match_rules"] = dict(con.execute(
        f"SELECT match_rule, count(*) FROM {identity} GROUP BY 1 ORDER BY 1").fetchall())
    stats["review_pairs"] = int(con.execute(f"SELECT count(*) FROM {review_table}").fetchall()[0][0])
    stats["review_queued"] = int(con.execute(
        f"SELECT count(*) FROM {review_table} WHERE review_status = 'queued'").fetchall()[0][0])
    stats["as_of"] = str(as_of)
    for tmp in ("_idr_keys", "_idr_keystats", "_idr_comp", "_idr_compname", "_idr_kv", "_idr_kvar", "_idr_vi",
                "_idr_vclass", "_idr_named", "_idr_ncl", "_idr_owner", "_idr_nl", "_idr_pm", "_idr_prev",
                "_idr_sp_pred"):
        con.execute(f"DROP TABLE IF EXISTS {tmp}")
    model = stats.pop("splink_model", None)
    return IdentityResult(con, identity, customers, aliases, review_table, stats, timings, model)


def _write_review(con: duckdb.DuckDBPyConnection, cfg: dict[str, Any], target: str,
                  decisions: pd.DataFrame, record_values: str | None) -> None:
    """Every uncertain pair with its score, ranked for review: the `review.daily_cap` pairs of highest
    priority (uncertainty x order value at stake) are `queued`, the rest `decided_by_model` (kept
    apart; the score stays), a pair already in the decisions file is `reviewed` (never re-queued)."""
    has_pred = con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = '_idr_sp_pred'"
                           ).fetchall()[0][0]
    base_cols = """l.source AS left_source, l.source_record_id AS left_source_record_id,
                   r.source AS right_source, r.source_record_id AS right_source_record_id,
                   al.customer_id AS left_customer_id, ar.customer_id AS right_customer_id,
                   l.full_name_clean AS left_name, r.full_name_clean AS right_name,
                   l.birth_date AS left_birth_date, r.birth_date AS right_birth_date,
                   l.address AS left_address, r.address AS right_address"""
    queue_cols = """NULL::DOUBLE AS pair_value, NULL::DOUBLE AS review_uncertainty, NULL::DOUBLE AS review_priority,
                    NULL::BIGINT AS review_rank, NULL::VARCHAR AS review_status"""
    if not has_pred:
        con.execute(f"""CREATE OR REPLACE TABLE {target} AS SELECT {base_cols},
                        NULL::DOUBLE AS match_probability, NULL::DOUBLE AS match_weight,
                        NULL::VARCHAR AS match_weights_json, {queue_cols}
                        FROM _idr_rec l, _idr_rec r, _idr_assign al, _idr_assign ar LIMIT 0""")
        return
    lo, hi = float(cfg["splink"]["review_threshold"]), float(cfg["splink"]["match_threshold"])
    cap = int(cfg["review"]["daily_cap"])
    guarded_u = float(cfg["review"]["guarded_uncertainty"])
    mw_cols = [c for c in con.execute("DESCRIBE _idr_sp_pred").df()["column_name"] if c.startswith("mw_")]
    mw_json = "to_json({" + ", ".join(f"'{c[3:]}': round(p.{c}, 3)" for c in mw_cols) + "})::VARCHAR" \
        if mw_cols else "NULL::VARCHAR"
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _idr_review AS
        SELECT {base_cols}, p.match_probability, p.match_weight, {mw_json} AS match_weights_json,
               {', '.join('p.' + c for c in mw_cols) + ',' if mw_cols else ''} p.household_guarded AS _guarded
        FROM _idr_sp_pred p
        JOIN _idr_rec l ON l.rid = p.unique_id_l JOIN _idr_rec r ON r.rid = p.unique_id_r
        JOIN _idr_assign al ON al.rid = l.rid JOIN _idr_assign ar ON ar.rid = r.rid
        WHERE p.match_probability >= {lo} AND (p.match_probability < {hi} OR p.household_guarded)
          AND al.customer_id <> ar.customer_id
    """)
    # order value of the customers in a pair only (a semi-join, not the whole base)
    values = "SELECT NULL::VARCHAR AS customer_id, NULL::DOUBLE AS value LIMIT 0"
    if record_values:
        values = f"""
            SELECT a.customer_id, sum(greatest(v.value, 0))::DOUBLE AS value
            FROM ({record_values}) v
            JOIN _idr_rec r ON r.source = v.source AND r.source_record_id = v.source_record_id
            JOIN _idr_assign a USING (rid)
            WHERE a.customer_id IN (SELECT left_customer_id FROM _idr_review
                                    UNION SELECT right_customer_id FROM _idr_review)
            GROUP BY 1"""
    con.register("_idr_reviewed_src", decisions)
    out_cols = [c for c in con.execute("DESCRIBE _idr_review").df()["column_name"] if c != "_guarded"]
    con.execute(f"""
        CREATE OR REPLACE TABLE {target} AS
        WITH v AS ({values}),
        reviewed AS (
            SELECT left_source AS s1, left_source_record_id AS i1, right_source AS s2, right_source_record_id AS i2
            FROM _idr_reviewed_src
            UNION SELECT right_source, right_source_record_id, left_source, left_source_record_id FROM _idr_reviewed_src),
        scored AS (
            SELECT q.*, coalesce(vl.value, 0) + coalesce(vr.value, 0) AS pair_value,
                   CASE WHEN q._guarded AND q.match_probability >= {hi} THEN {guarded_u}
                        ELSE 1 - abs(2 * q.match_probability - 1) END AS review_uncertainty,
                   d.s1 IS NOT NULL AS _reviewed
            FROM _idr_review q
            LEFT JOIN v vl ON vl.customer_id = q.left_customer_id
            LEFT JOIN v vr ON vr.customer_id = q.right_customer_id
            LEFT JOIN reviewed d ON d.s1 = q.left_source AND d.i1 = q.left_source_record_id
                                AND d.s2 = q.right_source AND d.i2 = q.right_source_record_id),
        ranked AS (
            SELECT *, review_uncertainty * log10(10 + pair_value) AS review_priority FROM scored),
        numbered AS (
            SELECT *, CASE WHEN NOT _reviewed THEN row_number() OVER (
                       PARTITION BY _reviewed ORDER BY review_priority DESC, match_probability DESC, left_source,
                       left_source_record_id, right_source, right_source_record_id) END AS review_rank
            FROM ranked)
        SELECT {', '.join(out_cols)}, pair_value, review_uncertainty, review_priority, review_rank,
               CASE WHEN _reviewed THEN 'reviewed' WHEN review_rank <= {cap} THEN 'queued'
                    ELSE 'decided_by_model' END AS review_status
        FROM numbered
        ORDER BY review_rank NULLS LAST, left_source, left_source_record_id, right_source, right_source_record_id
    """)
    con.unregister("_idr_reviewed_src")
    con.execute("DROP TABLE IF EXISTS _idr_review")
