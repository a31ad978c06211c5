"""The day's digest: the numbers a manager reads first, as plain tables (no chart to wait for).

Counts per action list, the RFCM alarm, who crossed into risk today (ml.alerts) and the top
movers by value at risk (risk stage changed since the previous snapshot; on a first run, the
largest value at risk among the customers at risk, said as such)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from .labels import LANGS, t
from .sources import Missing, columns, read, snapshot_date

STAGE_RANK = {"active": 1, "at_risk": 2, "potential_churn": 3, "churned": 4}


@dataclass
class Block:
    """One digest block: a table (or a line of text) plus, per language, the reason it is empty."""

    key: str
    table: pd.DataFrame | None = None
    text: dict[str, str] = field(default_factory=dict)
    empty: dict[str, str] = field(default_factory=dict)


def _empty(key: str, missing: Missing) -> Block:
    return Block(key, empty={lang: t(missing.reason, lang, detail=missing.detail) for lang in LANGS})


def action_lists(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> Block:
    table = "marts.mart_action_list"
    have = columns(con, table)
    primary = "count(*) filter (where is_primary)" if "is_primary" in have else "null"
    var = "round(sum(value_at_risk), 0)" if "value_at_risk" in have else "null"
    frame = read(con, table, f"""
        select list_name, count(distinct customer_id) as customers, {primary} as primary_customers,
               {var} as value_at_risk
        from {table} where as_of::date = (select max(as_of)::date from {table} where as_of::date <= ?)
        group by all order by customers desc""", [as_of], need=("list_name", "customer_id", "as_of"))
    if isinstance(frame, Missing):
        return _empty("action_lists", frame)
    return Block("action_lists", frame.dropna(axis=1, how="all"))


def rfcm_alarm(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> Block:
    frame = read(con, "marts.mart_rfcm_alarm", "select * from marts.mart_rfcm_alarm order by as_of desc limit 1",
                 need=("is_alarm", "share_low_c_and_r", "threshold_share", "as_of"))
    if isinstance(frame, Missing):
        return _empty("rfcm_alarm", frame)
    row = frame.iloc[0]
    fields = {"share": f"{100 * float(row.share_low_c_and_r):.1f} %", "threshold": f"{100 * float(row.threshold_share):.1f} %"}
    key = "alarm_on" if bool(row.is_alarm) else "alarm_off"
    return Block("rfcm_alarm", text={lang: t(key, lang, **fields) for lang in LANGS},
                 table=pd.DataFrame([{"is_alarm": bool(row.is_alarm), **fields}]))


def crossed(con: duckdb.DuckDBPyConnection, as_of: dt.date, limit: int) -> Block:
    table = "ml.alerts"
    frame = read(con, table, f"""
        select full_name, manager, previous_stage, risk_stage, round(value_at_risk, 0) as value_at_risk, reasons
        from {table} where as_of::date = ? order by value_at_risk desc nulls last limit {int(limit)}""",
                 [as_of], need=("full_name", "manager", "previous_stage", "risk_stage", "value_at_risk", "reasons"))
    if isinstance(frame, Missing):
        # a first run posts one digest per manager instead (ml.alert_digests): show those
        digests = read(con, "ml.alert_digests", f"""
            select manager, customers, round(value_at_risk, 0) as value_at_risk from ml.alert_digests
            where as_of::date = ? order by value_at_risk desc nulls last limit {int(limit)}""",
                       [as_of], need=("as_of", "manager", "customers", "value_at_risk"))
        if not isinstance(digests, Missing):
            n = con.execute("select count(*) from ml.alert_digests where as_of::date = ?", [as_of]).fetchone()[0]
            return Block("crossed", digests, text={lang: t("crossed_digest", lang, n=n) for lang in LANGS})
        return _empty("crossed", frame)
    return Block("crossed", frame)


def movers(con: duckdb.DuckDBPyConnection, as_of: dt.date, limit: int) -> Block:
    """Customers whose risk stage changed since the previous snapshot, largest value at risk first."""
    c360 = "marts.customer_360"
    need = ("customer_id", "full_name", "risk_stage", "value_at_risk")
    migration = "marts.mart_segment_migration"
    day = snapshot_date(con, migration, as_of)
    if day is not None and {"from_risk_stage", "to_risk_stage", "previous_as_of"} <= columns(con, migration):
        frame = read(con, c360, f"""
            select c.full_name, c.manager, m.from_risk_stage as previous_stage, m.to_risk_stage as risk_stage,
                   round(c.value_at_risk, 0) as value_at_risk
            from {c360} c join {migration} m on m.customer_id = c.customer_id and m.as_of::date = ?
            where m.previous_as_of is not null and m.from_risk_stage is distinct from m.to_risk_stage
              and m.from_risk_stage is not null and m.to_risk_stage is not null
            order by c.value_at_risk desc nulls last limit {int(limit)}""", [day], need=(*need, "manager"))
        if not isinstance(frame, Missing):
            frame["direction"] = [
                "worse" if STAGE_RANK.get(b, 0) > STAGE_RANK.get(a, 0) else "better"
                for a, b in zip(frame.previous_stage, frame.risk_stage)]
            return Block("movers", frame)
    frame = read(con, c360, f"""
        select full_name, manager, risk_stage, round(value_at_risk, 0) as value_at_risk from {c360}
        where risk_stage in ('at_risk', 'potential_churn') and value_at_risk > 0
        order by value_at_risk desc limit {int(limit)}""", need=(*need, "manager"))
    if isinstance(frame, Missing):
        return _empty("movers", frame)
    return Block("movers", frame, text={lang: t("movers_fallback", lang) for lang in LANGS})


def digest(con: duckdb.DuckDBPyConnection, as_of: dt.date, top_n: int) -> list[Block]:
    return [action_lists(con, as_of), rfcm_alarm(con, as_of), crossed(con, as_of, top_n), movers(con, as_of, top_n)]
