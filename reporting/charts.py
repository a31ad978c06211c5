"""The chart specs of the daily report: one function per chart, each reading its own table and
returning either a Vega-Lite spec per language or an explained empty state (never raising for a
missing or empty table). The order of ``CHARTS`` is the order on the page."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field

import altair as alt
import duckdb
import pandas as pd

from .labels import LANGS, code, t
from .sources import Missing, columns, read, snapshot_date

WIDTH = 520
RISK_ORDER = ["active", "at_risk", "potential_churn", "churned"]
TIER_ORDER = ["bronze", "silver", "gold", "platinum"]
BAND_ORDER = ["healthy", "watch", "at_risk", "critical"]
BAND_COLORS = ["#2e7d32", "#f9a825", "#ef6c00", "#c62828"]
LEVEL_COLORS = {1: "#2e7d32", 2: "#9ccc65", 3: "#fdd835", 4: "#fb8c00", 5: "#c62828"}


@dataclass
class Chart:
    """One chart of the page: a spec per language, or the reason (per language) it has none."""

    key: str
    specs: dict[str, dict] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    empty: dict[str, str] = field(default_factory=dict)

    @property
    def drawn(self) -> bool:
        return bool(self.specs)


def _empty(key: str, missing: Missing | str, **fields: object) -> Chart:
    if isinstance(missing, Missing):
        return Chart(key, empty={lang: t(missing.reason, lang, detail=missing.detail) for lang in LANGS})
    return Chart(key, empty={lang: t(missing, lang, **fields) for lang in LANGS})


def _spec(chart: alt.TopLevelMixin) -> dict:
    return chart.to_dict()


def _fmt_share(x: float) -> str:
    return f"{100 * float(x):.1f} %"


# ------------------------------------------------------------------ RFM R x F heatmap
def rfm_heatmap(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> Chart:
    table = "marts.mart_customer_rfm"
    has_ru = "rfm_segment_ru" in columns(con, table)
    frame = read(con, table, f"""
        select r_score, f_score, count(*) as customers, round(avg(monetary), 0) as mean_monetary,
               mode(rfm_segment) as segment_en, mode({'rfm_segment_ru' if has_ru else 'rfm_segment'}) as segment_ru
        from {table} where r_score is not null and f_score is not null and frequency > 0
        group by all""", need=("r_score", "f_score", "monetary", "rfm_segment", "frequency"))
    if isinstance(frame, Missing):
        return _empty("rfm_heatmap", frame)
    specs = {}
    for lang in LANGS:
        df = frame.assign(segment=frame[f"segment_{lang}"])
        base = alt.Chart(df).encode(
            x=alt.X("f_score:O", title=t("f_score", lang), sort="ascending"),
            y=alt.Y("r_score:O", title=t("r_score", lang), sort="descending"),
        )
        rect = base.mark_rect().encode(
            color=alt.Color("customers:Q", title=t("customers", lang), scale=alt.Scale(scheme="blues")),
            tooltip=[alt.Tooltip("segment:N", title=t("segment", lang)),
                     alt.Tooltip("customers:Q", title=t("customers", lang)),
                     alt.Tooltip("mean_monetary:Q", title=t("mean_monetary", lang), format=",.0f")])
        text = base.mark_text().encode(text="customers:Q")
        specs[lang] = _spec((rect + text).properties(width=WIDTH * 0.7, height=260))
    return Chart("rfm_heatmap", specs, {lang: t("rfm_heatmap_note", lang) for lang in LANGS})


# ------------------------------------------------------------------ risk x value matrix
def risk_value(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> Chart:
    table = "marts.mart_risk_value_matrix"
    frame = read(con, table, f"""
        select risk_stage, value_tier, action_level, customers, revenue from {table}
        where as_of::date = (select max(as_of)::date from {table} where as_of::date <= ?)""",
                 [as_of], need=("risk_stage", "value_tier", "action_level", "customers", "revenue", "as_of"))
    if isinstance(frame, Missing):
        return _empty("risk_value", frame)
    frame["action_level"] = frame["action_level"].fillna(0).astype(int)
    levels = sorted(frame["action_level"].unique())
    specs = {}
    for lang in LANGS:
        df = frame.assign(stage=[code(v, lang) for v in frame.risk_stage], tier=[code(v, lang) for v in frame.value_tier])
        base = alt.Chart(df).encode(
            x=alt.X("tier:N", title=t("value_tier", lang), sort=[code(v, lang) for v in TIER_ORDER]),
            y=alt.Y("stage:N", title=t("risk_stage", lang), sort=[code(v, lang) for v in RISK_ORDER]),
        )
        rect = base.mark_rect(stroke="white").encode(
            color=alt.Color("action_level:O", title=t("action_level", lang),
                            scale=alt.Scale(domain=levels, range=[LEVEL_COLORS.get(lv, "#bdbdbd") for lv in levels])),
            tooltip=[alt.Tooltip("customers:Q", title=t("customers", lang)),
                     alt.Tooltip("revenue:Q", title=t("revenue", lang), format=",.0f"),
                     alt.Tooltip("action_level:O", title=t("action_level", lang))])
        text = base.mark_text(fontWeight="bold").encode(text="customers:Q")
        specs[lang] = _spec((rect + text).properties(width=WIDTH * 0.7, height=240))
    return Chart("risk_value", specs, {lang: t("risk_value_note", lang) for lang in LANGS})


# ------------------------------------------------------------------ segment migration
def migration(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> Chart:
    table = "marts.mart_segment_migration"
    day = snapshot_date(con, table, as_of)
    frame = read(con, table, f"""
        select from_rfm_segment, to_rfm_segment, max(previous_as_of)::date as previous_as_of, count(*) as customers
        from {table}
        where as_of::date = ? and previous_as_of is not null
          and from_rfm_segment is not null and to_rfm_segment is not null
        group by all""", [day], need=("from_rfm_segment", "to_rfm_segment", "previous_as_of", "as_of"))
    if isinstance(frame, Missing):
        # the table exists but has no pair of snapshots yet: the first run's case, said as such
        return _empty("migration", "first_run") if frame.reason == "empty_table" else _empty("migration", frame)
    previous = str(frame["previous_as_of"].max())[:10]
    frame = frame.drop(columns="previous_as_of")
    names = segment_names(con)
    specs = {}
    for lang in LANGS:
        df = frame.assign(**{c: [names.get(v, {}).get(lang, v) for v in frame[c]]
                             for c in ("from_rfm_segment", "to_rfm_segment")})
        base = alt.Chart(df).encode(
            x=alt.X("to_rfm_segment:N", title=t("to_segment", lang)),
            y=alt.Y("from_rfm_segment:N", title=t("from_segment", lang)),
        )
        rect = base.mark_rect().encode(
            color=alt.Color("customers:Q", title=t("customers", lang), scale=alt.Scale(scheme="purples")),
            tooltip=[alt.Tooltip("from_rfm_segment:N", title=t("from_segment", lang)),
                     alt.Tooltip("to_rfm_segment:N", title=t("to_segment", lang)),
                     alt.Tooltip("customers:Q", title=t("customers", lang))])
        text = base.mark_text(fontSize=10).encode(text="customers:Q")
        specs[lang] = _spec((rect + text).properties(width=WIDTH, height=320))
    return Chart("migration", specs, {lang: t("migration_note", lang, previous=previous) for lang in LANGS})


def segment_names(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, str]]:
    """RFM segment -> its name per language, from the RFM mart (which carries the Russian names)."""
    table = "marts.mart_customer_rfm"
    frame = read(con, table, f"select distinct rfm_segment, rfm_segment_ru from {table} where rfm_segment is not null",
                 need=("rfm_segment", "rfm_segment_ru"))
    if isinstance(frame, Missing):
        return {}
    return {r.rfm_segment: {"en": r.rfm_segment, "ru": r.rfm_segment_ru or r.rfm_segment} for r in frame.itertuples()}


# ------------------------------------------------------------------ coverage «точка А» trend
COVERAGE_MEASURES = ("reachable_share", "valid_email_share", "valid_phone_share", "both_share")


def coverage(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> Chart:
    table = "quality.quality_coverage_history"
    frame = read(con, table, f"""
        select as_of::date as as_of, {', '.join(COVERAGE_MEASURES)} from {table}
        where source = 'all' and as_of::date <= ? order by as_of""", [as_of], need=("source", "as_of", *COVERAGE_MEASURES))
    if isinstance(frame, Missing):
        return _empty("coverage", frame)
    long = frame.melt("as_of", var_name="measure_code", value_name="share")
    long["as_of"] = long["as_of"].astype(str)
    specs = {}
    for lang in LANGS:
        df = long.assign(measure=[t(m, lang) for m in long.measure_code])
        specs[lang] = _spec(alt.Chart(df).mark_line(point=True).encode(
            x=alt.X("as_of:T", title=t("date", lang)),
            y=alt.Y("share:Q", title=t("share", lang), axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
            color=alt.Color("measure:N", title=t("measure", lang), legend=alt.Legend(orient="bottom", columns=2)),
            tooltip=[alt.Tooltip("as_of:T", title=t("date", lang)), alt.Tooltip("measure:N", title=t("measure", lang)),
                     alt.Tooltip("share:Q", title=t("share", lang), format=".1%")],
        ).properties(width=WIDTH, height=240))
    return Chart("coverage", specs, {lang: t("coverage_note", lang, n=len(frame)) for lang in LANGS})


# ------------------------------------------------------------------ health distribution
def health(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> Chart:
    table = "ml.health_scores"
    frame = read(con, table, f"""
        select least(floor(health_score / 10) * 10, 90)::int as bin, health_band, count(*) as customers
        from {table} where health_score is not null group by all""", need=("health_score", "health_band"))
    if isinstance(frame, Missing):
        return _empty("health", frame)
    specs = {}
    for lang in LANGS:
        df = frame.assign(band=[code(b, lang) for b in frame.health_band], bin_label=[f"{b}–{b + 10}" for b in frame.bin])
        specs[lang] = _spec(alt.Chart(df).mark_bar().encode(
            x=alt.X("bin_label:O", title=t("health_score", lang), sort=[f"{b}–{b + 10}" for b in range(0, 100, 10)]),
            y=alt.Y("sum(customers):Q", title=t("customers", lang)),
            color=alt.Color("band:N", title=t("health_band", lang),
                            scale=alt.Scale(domain=[code(b, lang) for b in BAND_ORDER], range=BAND_COLORS),
                            legend=alt.Legend(orient="bottom")),
            tooltip=[alt.Tooltip("band:N", title=t("health_band", lang)),
                     alt.Tooltip("sum(customers):Q", title=t("customers", lang))],
        ).properties(width=WIDTH, height=220))
    return Chart("health", specs, {lang: t("health_note", lang) for lang in LANGS})


# ------------------------------------------------------------------ churn calibration and lift
@dataclass(frozen=True)
class ChurnEvaluation:
    model: str
    reason: str
    cutoff: str
    deciles: pd.DataFrame | None  # decile, n, mean_predicted, observed_rate
    base_rate: float | None
    brier: float | None
    lift_top10: float | None
    scored: int


def _calibration_table(metrics: dict) -> tuple[dict, list] | None:
    """The evaluation of the chosen method (``candidates[selected]``) or the top level, when it holds
    a decile calibration table measured against realised labels."""
    selected = metrics.get("selected") or metrics.get("method")
    for block in ((metrics.get("candidates") or {}).get(selected), metrics.get("validation"), metrics):
        if isinstance(block, dict) and isinstance(block.get("calibration"), list) and block["calibration"]:
            return block, block["calibration"]
    return None


def churn_evaluation(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> ChurnEvaluation | Missing:
    runs = read(con, "ml.model_runs", """
        select model_kind, coalesce(fallback_reason, '') as fallback_reason, metrics, as_of::date as as_of
        from ml.model_runs where model = 'churn' and as_of::date <= ? order by as_of desc limit 1""",
                [as_of], need=("model", "model_kind", "fallback_reason", "metrics", "as_of"))
    if isinstance(runs, Missing):
        return runs
    row = runs.iloc[0]
    scored = read(con, "ml.churn_scores", "select count(*) as n from ml.churn_scores", need=("churn_probability",))
    n_scored = 0 if isinstance(scored, Missing) else int(scored.n.iloc[0])
    try:
        metrics = json.loads(row.metrics) if isinstance(row.metrics, str) else dict(row.metrics or {})
    except ValueError:
        metrics = {}
    found = _calibration_table(metrics)
    cutoff = str(metrics.get("validation_cutoff") or "")
    if found is None:
        return ChurnEvaluation(str(row.model_kind), row.fallback_reason or "no calibration table", cutoff, None,
                               None, None, None, n_scored)
    block, table = found
    deciles = pd.DataFrame(table)
    if not {"decile", "n", "mean_predicted", "observed_rate"} <= set(deciles.columns):
        return ChurnEvaluation(str(row.model_kind), "calibration table without deciles", cutoff, None, None, None,
                               None, n_scored)
    base = block.get("base_rate")
    if base is None:
        base = float((deciles.n * deciles.observed_rate).sum() / deciles.n.sum())
    return ChurnEvaluation(str(row.model_kind), row.fallback_reason, cutoff, deciles, float(base),
                           block.get("brier"), block.get("lift_top10"), n_scored)


def calibration(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> Chart:
    ev = churn_evaluation(con, as_of)
    if isinstance(ev, Missing):
        return _empty("calibration", ev)
    if ev.deciles is None:
        return _empty("calibration", "no_labels", model=ev.model, reason=ev.reason)
    df = ev.deciles.assign(mean_predicted=ev.deciles.mean_predicted.astype(float),
                           observed_rate=ev.deciles.observed_rate.astype(float))
    specs = {}
    for lang in LANGS:
        diagonal = alt.Chart(pd.DataFrame({"x": [0.0, 1.0], "y": [0.0, 1.0]})).mark_line(
            strokeDash=[4, 4], color="#9e9e9e").encode(x="x:Q", y="y:Q")
        points = alt.Chart(df).mark_line(point=True, color="#1565c0").encode(
            x=alt.X("mean_predicted:Q", title=t("predicted", lang), scale=alt.Scale(domain=[0, 1])),
            y=alt.Y("observed_rate:Q", title=t("observed", lang), scale=alt.Scale(domain=[0, 1])),
            tooltip=[alt.Tooltip("decile:O", title=t("decile", lang)), alt.Tooltip("n:Q", title="n"),
                     alt.Tooltip("mean_predicted:Q", title=t("predicted", lang), format=".3f"),
                     alt.Tooltip("observed_rate:Q", title=t("observed", lang), format=".3f")])
        specs[lang] = _spec((diagonal + points).properties(width=WIDTH * 0.6, height=260))
    brier = f"{ev.brier:.3f}" if ev.brier is not None else "—"
    notes = {lang: t("calibration_note", lang, model=ev.model, cutoff=ev.cutoff or "—", n=int(df.n.sum()),
                     brier=brier, scored=ev.scored) for lang in LANGS}
    return Chart("calibration", specs, notes)


def lift_table(deciles: pd.DataFrame, base_rate: float) -> pd.DataFrame:
    """Decile 1 = the highest scores (the metrics number deciles from the lowest); lift = the
    decile's realised churn rate over the base rate, cumulative lift over the top deciles so far."""
    d = deciles.sort_values("mean_predicted", ascending=False).reset_index(drop=True)
    d["rank"] = range(1, len(d) + 1)
    base = max(float(base_rate), 1e-12)
    d["lift"] = d.observed_rate.astype(float) / base
    positives = (d.n * d.observed_rate.astype(float)).cumsum()
    d["cumulative_lift"] = positives / d.n.cumsum() / base
    return d


def lift(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> Chart:
    ev = churn_evaluation(con, as_of)
    if isinstance(ev, Missing):
        return _empty("lift", ev)
    if ev.deciles is None or not ev.base_rate:
        return _empty("lift", "no_labels", model=ev.model, reason=ev.reason)
    d = lift_table(ev.deciles, ev.base_rate)[["rank", "n", "lift", "cumulative_lift"]]
    specs = {}
    for lang in LANGS:
        bars = alt.Chart(d).mark_bar(color="#5c6bc0").encode(
            x=alt.X("rank:O", title=t("decile", lang)), y=alt.Y("lift:Q", title=t("lift_axis", lang)),
            tooltip=[alt.Tooltip("rank:O", title=t("decile", lang)), alt.Tooltip("lift:Q", format=".2f"),
                     alt.Tooltip("cumulative_lift:Q", format=".2f")])
        line = alt.Chart(d).mark_line(point=True, color="#ef6c00").encode(x="rank:O", y="cumulative_lift:Q")
        one = alt.Chart(pd.DataFrame({"y": [1.0]})).mark_rule(strokeDash=[4, 4], color="#616161").encode(y="y:Q")
        specs[lang] = _spec((bars + line + one).properties(width=WIDTH * 0.7, height=220))
    top = f"{ev.lift_top10:.2f}" if ev.lift_top10 is not None else "—"
    notes = {lang: t("lift_note", lang, base=f"{ev.base_rate:.3f}", top=top) for lang in LANGS}
    return Chart("lift", specs, notes)


# ------------------------------------------------------------------ cluster profiles
def clusters(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> Chart:
    table = "ml.cluster_profiles"
    frame = read(con, table, f"select cluster_id, cluster_name_ru, cluster_name_en, size, centroid from {table}",
                 need=("cluster_id", "cluster_name_ru", "cluster_name_en", "size", "centroid"))
    if isinstance(frame, Missing):
        return _cluster_counts(con, frame)
    rows = []
    for r in frame.itertuples():
        try:
            centre = json.loads(r.centroid) if isinstance(r.centroid, str) else (r.centroid or {})
        except ValueError:
            centre = {}
        for feature, value in (centre.items() if isinstance(centre, dict) else []):
            if isinstance(value, int | float) and value == value:
                rows.append({"cluster_id": r.cluster_id, "feature": feature, "value": float(value),
                             "name_ru": f"{r.cluster_name_ru} ({r.size})", "name_en": f"{r.cluster_name_en} ({r.size})"})
    if not rows:
        return _cluster_counts(con, Missing("empty_table", f"{table}.centroid"))
    long = pd.DataFrame(rows)
    span = long.groupby("feature")["value"].agg(["min", "max"])
    long = long.join(span, on="feature")
    long["scaled"] = ((long.value - long["min"]) / (long["max"] - long["min"]).where(long["max"] > long["min"])).fillna(0.5)
    long["label"] = long.value.map(lambda v: f"{v:,.0f}" if abs(v) >= 10 else f"{v:.2f}")
    long = long.drop(columns=["min", "max"])
    specs = {}
    for lang in LANGS:
        df = long.assign(cluster=long[f"name_{lang}"])
        base = alt.Chart(df).encode(x=alt.X("feature:N", title=t("feature", lang)), y=alt.Y("cluster:N", title=t("cluster", lang)))
        rect = base.mark_rect().encode(
            color=alt.Color("scaled:Q", legend=None, scale=alt.Scale(scheme="greens")),
            tooltip=[alt.Tooltip("cluster:N", title=t("cluster", lang)), alt.Tooltip("feature:N", title=t("feature", lang)),
                     alt.Tooltip("value:Q", title=t("value", lang), format=",.2f")])
        text = base.mark_text(fontSize=9).encode(text="label:N")
        specs[lang] = _spec((rect + text).properties(width=min(WIDTH, 48 * long.feature.nunique()),
                                                      height=36 * frame.cluster_id.nunique()))
    return Chart("clusters", specs, {lang: t("clusters_note", lang) for lang in LANGS})


def _cluster_counts(con: duckdb.DuckDBPyConnection, why: Missing) -> Chart:
    """Fallback: segment sizes from ml.customer_clusters when the profiles are missing."""
    table = "ml.customer_clusters"
    frame = read(con, table, f"""select cluster_name as name_ru, coalesce(cluster_name_en, cluster_name) as name_en,
                 count(*) as customers from {table} group by all""", need=("cluster_name", "cluster_name_en"))
    if isinstance(frame, Missing):
        return _empty("clusters", why)
    specs = {}
    for lang in LANGS:
        df = frame.assign(cluster=frame[f"name_{lang}"])
        specs[lang] = _spec(alt.Chart(df).mark_bar().encode(
            y=alt.Y("cluster:N", title=t("cluster", lang), sort="-x"), x=alt.X("customers:Q", title=t("customers", lang)),
        ).properties(width=WIDTH, height=30 * len(df)))
    return Chart("clusters", specs, {lang: t("clusters_counts_note", lang) for lang in LANGS})


# ------------------------------------------------------------------ data quality by source / manager
DQ_SOURCE_MEASURES = ("quarantined_share", "placeholder_name_share", "junk_email_share", "no_contact_channel_share",
                      "valid_phone_share", "valid_email_share")


def dq_source(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> Chart:
    table = "quality.quality_by_source"
    frame = read(con, table, f"select source_file, rejected_rows, {', '.join(DQ_SOURCE_MEASURES)} from {table}",
                 need=("source_file", "rejected_rows", *DQ_SOURCE_MEASURES))
    if isinstance(frame, Missing):
        return _empty("dq_source", frame)
    rejected = int(frame.rejected_rows.fillna(0).sum())
    long = frame.drop(columns="rejected_rows").melt("source_file", var_name="measure_code", value_name="share").fillna(0)
    specs = {}
    for lang in LANGS:
        names = {m: t(m, lang) for m in DQ_SOURCE_MEASURES}
        df = long.assign(measure=long.measure_code.map(names))
        specs[lang] = _spec(alt.Chart(df).mark_bar().encode(
            x=alt.X("share:Q", title=t("share", lang), axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
            y=alt.Y("measure:N", title=None, sort=list(names.values())),
            row=alt.Row("source_file:N", title=t("source_file", lang)),
            color=alt.Color("measure:N", legend=None),
            tooltip=[alt.Tooltip("source_file:N", title=t("source_file", lang)),
                     alt.Tooltip("measure:N", title=t("measure", lang)),
                     alt.Tooltip("share:Q", title=t("share", lang), format=".1%")],
        ).properties(width=WIDTH * 0.8, height=120))
    return Chart("dq_source", specs, {lang: t("dq_source_note", lang, rejected=rejected) for lang in LANGS})


def dq_manager(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> Chart:
    table = "quality.quality_by_manager"
    frame = read(con, table, f"""select manager, contacts, mean_completeness, quarantined_share from {table}
                 where mean_completeness is not null""",
                 need=("manager", "contacts", "mean_completeness", "quarantined_share"))
    if isinstance(frame, Missing):
        return _empty("dq_manager", frame)
    specs = {}
    for lang in LANGS:
        specs[lang] = _spec(alt.Chart(frame).mark_bar().encode(
            x=alt.X("mean_completeness:Q", title=t("mean_completeness", lang), scale=alt.Scale(domain=[0, 100])),
            y=alt.Y("manager:N", title=t("manager", lang), sort="x"),
            color=alt.Color("mean_completeness:Q", legend=None, scale=alt.Scale(scheme="redyellowgreen", domain=[0, 100])),
            tooltip=[alt.Tooltip("manager:N", title=t("manager", lang)),
                     alt.Tooltip("contacts:Q", title=t("contacts", lang)),
                     alt.Tooltip("mean_completeness:Q", title=t("mean_completeness", lang), format=".1f"),
                     alt.Tooltip("quarantined_share:Q", title=t("quarantined_share", lang), format=".1%")],
        ).properties(width=WIDTH * 0.8, height=max(60, 22 * len(frame))))
    return Chart("dq_manager", specs, {lang: t("dq_manager_note", lang) for lang in LANGS})


ChartBuilder = Callable[[duckdb.DuckDBPyConnection, dt.date], Chart]
CHARTS: tuple[tuple[str, ChartBuilder], ...] = (
    ("rfm_heatmap", rfm_heatmap), ("risk_value", risk_value), ("migration", migration), ("coverage", coverage),
    ("health", health), ("calibration", calibration), ("lift", lift), ("clusters", clusters),
    ("dq_source", dq_source), ("dq_manager", dq_manager),
)
