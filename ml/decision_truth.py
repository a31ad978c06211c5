"""Decisions measured against ground truth, when the landing folder carries it (`truth/`).

A generated sample (and any labelled dataset written in the same shape) records, per person,
when they churned (`truth/persons.csv`: person_id, churn_date) and which source records are theirs
(`truth/record_map.csv`: source, source_record_id, person_id). Run the pipeline as of a date
before the data end, so the future is known, and these figures say whether the decisions were
right (docs/methods.md, "Decisions measured against truth"):

- dead precision: of customers in state `dead`, the share whose person had churned by the date;
- early-warning recall: of buyers whose person churns within the next ``horizon_days``, the share
  flagged at risk today (any risk stage past `active`);
- living flagged share: of buyers whose person is still alive after the horizon, the share flagged
  (flagging everyone warns no one);
- alert precision: of alerted customers, the share whose person churned or churns within the horizon.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd

FLAGGED_STAGES = ("at_risk", "potential_churn", "churned")
# What the decisions must reach on a generated sample: (metric, "min" | "max", bound).
FLOORS = (("dead_precision", "min", 0.95), ("early_warning_recall", "min", 0.6), ("living_flagged_share", "max", 0.35))


def below_floors(metrics: dict) -> list[str]:
    """The figures that miss their floor, as readable lines (a figure that could not be computed is skipped)."""
    missed = []
    for name, kind, bound in FLOORS:
        value = metrics.get(name)
        if value is not None and (value < bound if kind == "min" else value > bound):
            missed.append(f"{name} {value:.3f} {'<' if kind == 'min' else '>'} {bound}")
    return missed


def has_truth(landing_dir: Path) -> bool:
    truth = Path(landing_dir) / "truth"
    return (truth / "persons.csv").is_file() and (truth / "record_map.csv").is_file()


def customer_truth(con: duckdb.DuckDBPyConnection, landing_dir: Path) -> pd.DataFrame:
    """customer_id → its person (the person most of its records belong to) and churn_date."""
    truth = Path(landing_dir) / "truth"
    persons = pd.read_csv(truth / "persons.csv", dtype=str, keep_default_na=False)[["person_id", "churn_date"]]
    record_map = pd.read_csv(truth / "record_map.csv", dtype=str, keep_default_na=False)
    con.register("_truth_records", record_map)
    con.register("_truth_persons", persons)
    try:
        return con.execute(
            """
            WITH votes AS (
                SELECT i.customer_id, t.person_id, count(*) AS n
                FROM core.customer_identity i
                JOIN _truth_records t ON t.source = i.source AND t.source_record_id = i.source_record_id
                GROUP BY ALL
            )
            SELECT v.customer_id, arg_max(v.person_id, (v.n, v.person_id)) AS person_id,
                   try_cast(nullif(any_value(p.churn_date), '') AS DATE) AS churn_date
            FROM votes v LEFT JOIN _truth_persons p USING (person_id)
            GROUP BY v.customer_id
            """
        ).df()
    finally:
        con.unregister("_truth_records")
        con.unregister("_truth_persons")


def _table(con, schema: str, table: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name = ?",
                            [schema, table]).fetchone()[0])


def _share(mask: pd.Series) -> float | None:
    return round(float(mask.mean()), 4) if len(mask) else None


def decision_metrics(con: duckdb.DuckDBPyConnection, landing_dir: Path, as_of: dt.date,
                     horizon_days: int = 60) -> dict:
    """The truth-based figures of one run (see the module docstring); {} without truth."""
    if not has_truth(landing_dir):
        return {}
    truth = customer_truth(con, landing_dir)
    as_of = pd.Timestamp(as_of)
    end = as_of + pd.Timedelta(days=horizon_days)
    churn = pd.to_datetime(truth["churn_date"])
    truth = truth.assign(churned=churn.le(as_of).fillna(False),
                         churns_soon=(churn.gt(as_of) & churn.le(end)).fillna(False),
                         alive=(churn.isna() | churn.gt(end)))
    out: dict = {"as_of": as_of.date().isoformat(), "horizon_days": horizon_days, "customers_with_truth": len(truth)}

    states = con.execute("SELECT customer_id, lifecycle_state FROM marts.mart_customer_lifecycle").df()
    dead = truth.merge(states[states["lifecycle_state"] == "dead"], on="customer_id")
    out.update(dead_customers=len(dead), dead_precision=_share(dead["churned"]))

    verdict = "customer_verdict" if _table(con, "marts", "customer_verdict") else "mart_customer_risk_value"
    stages = con.execute(f"SELECT customer_id, risk_stage FROM marts.{verdict} WHERE risk_stage IS NOT NULL").df()
    buyers = truth.merge(stages, on="customer_id")
    flagged = buyers["risk_stage"].isin(FLAGGED_STAGES)
    out.update(
        risk_source=verdict,
        buyers=len(buyers),
        churning_within_horizon=int(buyers["churns_soon"].sum()),
        early_warning_recall=_share(flagged[buyers["churns_soon"]]),
        living_flagged_share=_share(flagged[buyers["alive"]]),
    )
    if _table(con, "ml", "alerts"):
        alerted = truth.merge(con.execute("SELECT DISTINCT customer_id FROM ml.alerts").df(), on="customer_id")
        out.update(alerts=len(alerted), alert_precision=_share(alerted["churned"] | alerted["churns_soon"]))
    return out
