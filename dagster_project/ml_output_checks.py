"""What the asset checks on the ML outputs measure (dagster_project/defs/ml/checks.py declares them).

Three questions per score table, answered from the warehouse as of the run's date:
- range: every score lies in its documented range ([0, 1] probabilities, [0, 100] health);
- coverage: every customer of core.customers first seen by the as-of date has a row;
- model quality (churn, toxicity): the model recorded in ml.model_runs for the date is the learned
  one and its out-of-time validation metrics reach the floors of config/models.yaml
  (`output_checks`); a fallback model is reported, not failed hard (degrade, don't die).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass, field
from typing import Any

# table → (score column, low, high); customer_clusters has no score, only a name per customer
SCORE_TABLES: dict[str, tuple[str | None, float | None, float | None]] = {
    "churn_scores": ("churn_probability", 0.0, 1.0),
    "toxicity_scores": ("toxicity_probability", 0.0, 1.0),
    "health_scores": ("health_score", 0.0, 100.0),
    "customer_clusters": ("cluster_name", None, None),
}
MODEL_OF_TABLE = {"churn_scores": "churn", "toxicity_scores": "toxicity"}


@dataclass
class Outcome:
    """One check's verdict: passed, whether a failure is only a warning, what it saw."""

    passed: bool
    description: str
    warn_only: bool = True
    metadata: dict[str, Any] = field(default_factory=dict)


def _exists(con, schema: str, table: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name = ?",
                            [schema, table]).fetchone()[0])


def _columns(con, schema: str, table: str) -> set[str]:
    return {r[0] for r in con.execute("SELECT column_name FROM duckdb_columns() WHERE schema_name = ? AND table_name = ?",
                                      [schema, table]).fetchall()}


def score_range(con, table: str) -> Outcome:
    """NULL or out-of-range scores (a bug, not a data problem: ERROR severity)."""
    column, low, high = SCORE_TABLES[table]
    if not _exists(con, "ml", table) or column not in _columns(con, "ml", table):
        return Outcome(False, f"ml.{table}.{column} does not exist", warn_only=False)
    if low is None:
        nulls = con.execute(f'SELECT count(*) FILTER (WHERE "{column}" IS NULL), count(*) FROM ml."{table}"').fetchone()
        return Outcome(nulls[0] == 0, f"{nulls[0]} of {nulls[1]} rows without {column}", warn_only=False,
                       metadata={"rows": int(nulls[1]), "null": int(nulls[0])})
    row = con.execute(
        f'SELECT count(*), count(*) FILTER (WHERE "{column}" IS NULL), '
        f'count(*) FILTER (WHERE "{column}" < $lo OR "{column}" > $hi OR isnan("{column}")), '
        f'min("{column}"), max("{column}") FROM ml."{table}"', {"lo": low, "hi": high}).fetchone()
    rows, nulls, outside, smallest, largest = row
    bad = int(nulls) + int(outside)
    return Outcome(
        bad == 0,
        f"{column} in [{low:g}, {high:g}]: " + ("every row" if bad == 0 else f"{outside} outside, {nulls} NULL of {rows}"),
        warn_only=False,
        metadata={"rows": int(rows), "null": int(nulls), "outside_range": int(outside), "range": f"[{low:g}, {high:g}]",
                  "min": float(smallest) if smallest is not None else None,
                  "max": float(largest) if largest is not None else None},
    )


def coverage(con, table: str, as_of: dt.date, min_coverage: float) -> Outcome:
    """Share of the customers first seen by the as-of date that have a row (WARN below the floor)."""
    if not _exists(con, "ml", table):
        return Outcome(False, f"ml.{table} does not exist")
    seen = "cast(c.first_seen_at AS DATE) <= $as_of OR c.first_seen_at IS NULL" \
        if "first_seen_at" in _columns(con, "core", "customers") else "true"
    expected, covered, sample = con.execute(
        f"""
        WITH known AS (SELECT c.customer_id FROM core.customers c WHERE {seen}),
             missing AS (SELECT customer_id FROM known ANTI JOIN ml."{table}" s USING (customer_id))
        SELECT (SELECT count(*) FROM known), (SELECT count(*) FROM known) - (SELECT count(*) FROM missing),
               (SELECT list(customer_id ORDER BY customer_id)[1:20] FROM missing)
        """, {"as_of": as_of}).fetchone()
    share = covered / expected if expected else 1.0
    return Outcome(
        share >= min_coverage,
        f"{covered} of {expected} customers known as of {as_of} ({share:.1%}; floor {min_coverage:.0%})",
        metadata={"customers_known": int(expected), "customers_covered": int(covered), "coverage": round(share, 4),
                  "min_coverage": min_coverage, "missing_sample": list(sample or [])},
    )


def _metric(metrics: dict[str, Any], name: str) -> float | None:
    value = (metrics.get("model") or {}).get(name)
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(value) else value


def model_quality(con, model: str, as_of: dt.date, floors: dict[str, float | None],
                  learned_kinds=("hgb", "logreg")) -> Outcome:
    """The run's model for the date: learned and above its floors (ERROR below), or a fallback (WARN).

    A learned kind (`candidates` of config/models.yaml) chosen with a note — logreg because there
    were too few rows for hgb — is judged on its floors; anything else is a fallback."""
    if not _exists(con, "ml", "model_runs"):
        return Outcome(False, "ml.model_runs does not exist")
    row = con.execute(
        "SELECT model_kind, fallback_reason, metrics FROM ml.model_runs WHERE model = $m AND as_of = $as_of",
        {"m": model, "as_of": as_of}).fetchone()
    if row is None:
        return Outcome(False, f"no {model} row in ml.model_runs for {as_of}")
    kind, reason, raw = row
    metrics = json.loads(raw) if raw else {}
    seen = {name: _metric(metrics, name) for name in floors}
    meta = {"model_kind": kind, "fallback_reason": reason or "none",
            **{f"{name}": value for name, value in seen.items()},
            **{f"floor_{name}": floor for name, floor in floors.items() if floor is not None}}
    if kind not in learned_kinds:
        return Outcome(False, f"fallback {kind} used: {reason or 'no learned model'}", metadata=meta)
    note = f" ({reason})" if reason else ""
    below = [f"{name} {seen[name]:.3f} < {floor:.3f}" for name, floor in floors.items()
             if floor is not None and seen[name] is not None and seen[name] < floor]
    unknown = [name for name, floor in floors.items() if floor is not None and seen[name] is None]
    if below:
        return Outcome(False, f"learned {kind}{note} below its floor: {', '.join(below)}", warn_only=False,
                       metadata=meta)
    if unknown:
        return Outcome(False, f"learned {kind}{note}, but no validation {', '.join(unknown)} to compare", metadata=meta)
    got = ", ".join(f"{name} {seen[name]:.3f}" for name in floors if seen[name] is not None)
    return Outcome(True, f"learned {kind}{note}: {got or 'no floor set'}", metadata=meta)
