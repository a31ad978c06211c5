"""ML and text assets: message signals → health & alerts; features → clusters; churn & toxicity.

Declarations only: each step's decisions are in `ml.steps` (over `ml.signals`, `ml.health`,
`ml.features`, `ml.clusters`, `ml.churn`); here the facts up to the partition's as-of date are
read, the step is called and its frames stored (snapshots keyed by as_of where history matters).
"""

import json

import dagster as dg

from dagster_project.as_of import partition_date
from dagster_project.asset_metadata import table_metadata, tables_metadata
from dagster_project.defs.partitions import AS_OF_STEP
from dagster_project.ml_data import known_names, load_customer_facts, load_message_texts, replace_snapshot
from dagster_project.resources import PipelineSettings, Warehouse
from dagster_project.warehouse import ensure_schema, replace_table, table_exists

ML_KINDS = {"python", "scikitlearn", "duckdb"}
IDENTITY = dg.AssetKey(["core", "customer_identity"])
STAGING_FACTS = [
    dg.AssetKey(["staging", t])
    for t in ("stg_orders", "stg_support_tickets", "stg_marketing_events", "stg_phone_calls", "stg_mail_messages",
              "stg_chat_messages")
]
CUSTOMER_ORDERS = dg.AssetKey(["intermediate", "int_customer_orders"])  # dbt: line items summed, deduplicated


def _spec(name: str, description: str, deps=()) -> dg.AssetSpec:
    return dg.AssetSpec(key=["ml", name], description=description, deps=list(deps), kinds=ML_KINDS)


@dg.asset(
    key=["ml", "message_signals"],
    deps=[IDENTITY, *STAGING_FACTS],
    group_name="ml",
    kinds={"python", "duckdb"},
    **AS_OF_STEP,
    description="Per message (mail, ticket text, call transcript): language, tone in [-1, 1], markers and evidence "
    "(ml.message_signals); with llm.enabled also an anonymised outside model's second opinion (ml.message_llm_signals).",
)
def message_signals(context: dg.AssetExecutionContext, warehouse: Warehouse,
                    settings: PipelineSettings) -> dg.MaterializeResult:
    from ml.llm import provider_from_config, second_opinion
    from ml.signals import score_messages
    from ml.signals.messages import with_reply_columns

    as_of = partition_date(context)
    config = settings.config("signals")
    with warehouse.connect() as con:
        texts = load_message_texts(con, as_of)
        signals = with_reply_columns(score_messages(texts, config=config), texts, settings.config("health")["replies"])
        rows = replace_table(con, "ml", "message_signals", signals)
        meta = table_metadata(con, "ml", "message_signals")
        # optional outside model (off by default): anonymised second opinion on the flagged messages
        provider = provider_from_config(config, api_key=settings.llm_api_key)
        names = known_names(con) if provider is not None else []
        llm = second_opinion(signals, texts, provider, int((config.get("llm") or {}).get("max_messages", 200)), names)
        replace_table(con, "ml", "message_llm_signals", llm)
    markers = [c for c in signals.columns if c.startswith(("is_", "asks_", "mentions_")) or c.endswith(("_complaint", "_request"))]
    return dg.MaterializeResult(
        metadata={
            **meta,
            "by_channel": dg.MetadataValue.json(signals["channel"].value_counts().to_dict() if rows else {}),
            "marker_counts": dg.MetadataValue.json({m: int(signals[m].sum()) for m in markers}),
            "llm_second_opinions": len(llm),
        }
    )


@dg.multi_asset(
    specs=[
        _spec("health_scores", "Health score 0–100 per customer as of the date, band, top reasons, change.", [dg.AssetKey(["ml", "message_signals"]), CUSTOMER_ORDERS]),
        _spec("health_factors", "Per-customer, per-factor risk points with evidence (the score's breakdown)."),
        _spec("health_history", "One health snapshot per as-of date."),
        _spec("reply_events", "Our replies per inbound turn (mail, chat): first reply, unanswered, templated, tone."),
        _spec("customer_reply_quality", "Per customer over the replies window: turns, unanswered, median first "
              "reply, templated share and tone of our outbound messages."),
    ],
    group_name="ml",
    **AS_OF_STEP,
)
def customer_health(context: dg.AssetExecutionContext, warehouse: Warehouse, settings: PipelineSettings):
    from ml.steps import score_health

    as_of = partition_date(context)
    with warehouse.connect() as con:
        signals = con.execute(
            "SELECT * FROM ml.message_signals WHERE cast(sent_at AS date) <= $as_of ORDER BY message_id", {"as_of": as_of}
        ).df()
        facts = load_customer_facts(con, as_of)
        previous = None
        if table_exists(con, "ml", "health_history"):
            previous = con.execute(
                "SELECT * FROM ml.health_history WHERE as_of = (SELECT max(as_of) FROM ml.health_history WHERE as_of < $as_of)",
                {"as_of": as_of},
            ).df()
            previous = previous if len(previous) else None
        health = score_health(signals, facts, as_of, previous, settings.config("signals"), settings.config("health"))
        scores, factors = health.scores, health.factors
        counts = {
            "health_scores": replace_table(con, "ml", "health_scores", scores),
            "health_factors": replace_table(con, "ml", "health_factors", factors),
            "reply_events": replace_table(con, "ml", "reply_events", health.reply_events),
            "customer_reply_quality": replace_table(con, "ml", "customer_reply_quality", health.customer_replies),
        }
        replace_snapshot(con, "ml", "health_history", scores.drop(columns=["as_of"], errors="ignore"), as_of)
        counts["health_history"] = con.execute("SELECT count(*) FROM ml.health_history").fetchone()[0]
        meta = tables_metadata(con, "ml", counts)

    bands = scores["health_band"].value_counts().to_dict() if len(scores) else {}
    yield dg.MaterializeResult(
        asset_key=["ml", "health_scores"],
        metadata={**meta["health_scores"], "bands": dg.MetadataValue.json(bands)},
    )
    yield dg.MaterializeResult(asset_key=["ml", "health_factors"], metadata={**meta["health_factors"]})
    yield dg.MaterializeResult(asset_key=["ml", "health_history"], metadata={**meta["health_history"]})
    events = health.reply_events
    unanswered = int(events["is_unanswered"].sum()) if len(events) else 0
    yield dg.MaterializeResult(asset_key=["ml", "reply_events"],
                               metadata={**meta["reply_events"], "unanswered_turns": unanswered})
    yield dg.MaterializeResult(asset_key=["ml", "customer_reply_quality"],
                               metadata={**meta["customer_reply_quality"]})


VERDICT = dg.AssetKey(["marts", "customer_verdict"])
ALERT_INPUT_DEPS = [VERDICT, dg.AssetKey(["marts", "mart_customer_lifecycle"]), dg.AssetKey(["ml", "health_scores"]),
                    dg.AssetKey(["intermediate", "int_customer_interactions"]),
                    dg.AssetKey(["intermediate", "int_customer_purchase_dates"])]

# The customer's own rhythm and silence as of the date: signs = purchase days and the customer's own
# contacts (tickets, inbound mail and calls, opens / clicks); silence = days since the last sign;
# contact_gap_days = median gap between sign days (contact_gaps of them).
_RHYTHM_SQL = """
WITH signs AS (
    SELECT DISTINCT customer_id, d FROM (
        SELECT customer_id, purchase_date AS d FROM intermediate.int_customer_purchase_dates WHERE purchase_date <= $as_of
        UNION ALL
        SELECT customer_id, occurred_date FROM intermediate.int_customer_interactions
        WHERE is_customer_initiated AND occurred_date <= $as_of)
), gaps AS (
    SELECT customer_id, d, date_diff('day', lag(d) OVER (PARTITION BY customer_id ORDER BY d), d) AS gap FROM signs
)
SELECT customer_id, date_diff('day', max(d), $as_of) AS silence_days,
       median(gap) AS contact_gap_days, count(gap) AS contact_gaps
FROM gaps GROUP BY customer_id
"""

# marts.customer_verdict not built (yet): a simpler verdict from customer_360 (risk stage from the
# lifecycle, value at risk = past revenue x churn probability), said in the asset's metadata
_FALLBACK_VERDICT_SQL = """
SELECT x.customer_id, x.as_of, x.full_name, nullif(trim(c.manager), '') AS manager,
       CASE WHEN x.email IS NOT NULL THEN 'email' WHEN x.phone_e164 IS NOT NULL THEN 'phone' END AS contact_channel,
       coalesce(x.email, x.phone_e164) AS contact, x.lifecycle_state, x.risk_stage,
       x.churn_probability AS risk_score, x.value_tier, x.monetary AS expected_value,
       x.monetary * coalesce(x.churn_probability, 0) AS value_at_risk, x.action_level, x.action_color,
       x.recommended_action, NULL AS dominant_reason, x.top_reasons AS reasons_text,
       string_split(x.top_reasons, ' + ') AS reasons, NULL AS reason_codes
FROM marts.customer_360 x LEFT JOIN core.customers c USING (customer_id)
"""


def load_alert_inputs(con, as_of) -> tuple:
    """Today's verdict per customer with health, purchase cycle and own rhythm; the previous snapshot
    of ml.alert_history (latest as_of before the date, None when there is none); the verdict's source."""
    source = "marts.customer_verdict" if table_exists(con, "marts", "customer_verdict") else "marts.customer_360"
    base = "SELECT * FROM marts.customer_verdict" if source == "marts.customer_verdict" else _FALLBACK_VERDICT_SQL
    health = "ml.health_scores" if table_exists(con, "ml", "health_scores") else \
        "(SELECT NULL::VARCHAR AS customer_id, NULL::DOUBLE AS health_score, NULL::VARCHAR AS health_band)"
    verdict = con.execute(
        f"""
        WITH v AS ({base}), r AS ({_RHYTHM_SQL})
        SELECT v.*, h.health_score, h.health_band, l.cycle_days, r.silence_days, r.contact_gap_days, r.contact_gaps
        FROM v LEFT JOIN {health} h USING (customer_id)
        LEFT JOIN marts.mart_customer_lifecycle l USING (customer_id)
        LEFT JOIN r USING (customer_id)
        ORDER BY v.customer_id
        """,
        {"as_of": as_of},
    ).df()
    previous = None
    if table_exists(con, "ml", "alert_history"):
        previous = con.execute(
            "SELECT customer_id, risk_stage, risk_score FROM ml.alert_history "
            "WHERE as_of = (SELECT max(as_of) FROM ml.alert_history WHERE as_of < $as_of)",
            {"as_of": as_of},
        ).df()
        previous = previous if len(previous) else None
    return verdict, previous, source


def _write_typed(con, table: str, frame, columns: list[str], snapshot_as_of=None) -> int:
    from ml.alerts import typed_select

    ensure_schema(con, "ml")  # (also completes the connection's last result before register)
    con.register("_alerts_frame", frame)
    try:
        if snapshot_as_of is None:
            con.execute(f"CREATE OR REPLACE TABLE ml.{table} AS SELECT {typed_select('_alerts_frame', columns)}")
            return con.execute(f"SELECT count(*) FROM ml.{table}").fetchall()[0][0]
        if not table_exists(con, "ml", table):
            con.execute(f"CREATE TABLE ml.{table} AS SELECT CAST($as_of AS DATE) AS as_of, "
                        f"{typed_select('_alerts_frame', columns)} LIMIT 0", {"as_of": snapshot_as_of})
        con.execute(f"DELETE FROM ml.{table} WHERE as_of = $as_of", {"as_of": snapshot_as_of})
        con.execute(f"INSERT INTO ml.{table} BY NAME SELECT CAST($as_of AS DATE) AS as_of, "
                    f"{typed_select('_alerts_frame', columns)}", {"as_of": snapshot_as_of})
        return con.execute(f"SELECT count(*) FROM ml.{table}").fetchall()[0][0]
    finally:
        con.unregister("_alerts_frame")


@dg.multi_asset(
    specs=[
        _spec("alerts", "Customers who crossed into risk since the previous snapshot (risk stage of marts.customer_verdict), "
              "within each manager's daily budget, largest value at risk first: name, manager, value, reasons, playbook, "
              "route and a ready message. Empty on a first run (digests instead).", ALERT_INPUT_DEPS),
        _spec("alert_digests", "First run on a base: one digest per manager (customers at risk by stage, value at risk, "
              "the largest by value) instead of one alert per customer already at risk."),
        _spec("alert_history", "The alert decision of every customer per as-of date (alert, over_budget, digest, "
              "already_at_risk, silence_within_rhythm, still_buying, win_back, not_in_risk) with the risk stage: "
              "the previous snapshot of the next run."),
    ],
    check_specs=[dg.AssetCheckSpec(
        "alerts_delivered", asset=dg.AssetKey(["ml", "alerts"]),
        description="Every route's messages reached its webhook (retried first); an unreachable webhook warns and "
                    "never stops the marts or the published file.")],
    group_name="ml",
    **AS_OF_STEP,
)
def customer_alerts(context: dg.AssetExecutionContext, warehouse: Warehouse, settings: PipelineSettings):
    from ml.alerts import ALERT_COLUMNS, DIGEST_COLUMNS, HISTORY_COLUMNS
    from ml.steps import build_alerts, notify

    as_of = partition_date(context)
    config = settings.config("health")
    with warehouse.connect() as con:
        verdict, previous, source = load_alert_inputs(con, as_of)
        if source != "marts.customer_verdict":
            context.log.warning("alerts: marts.customer_verdict is missing; using the simpler verdict of customer_360")
        out = build_alerts(verdict, previous, as_of, config, settings.alert_webhook, settings.alert_kind,
                           settings.alert_chat_id)
        counts = {
            "alerts": _write_typed(con, "alerts", out.alerts, ALERT_COLUMNS),
            "alert_digests": _write_typed(con, "alert_digests", out.digests, DIGEST_COLUMNS),
            "alert_history": _write_typed(con, "alert_history", out.history, HISTORY_COLUMNS, snapshot_as_of=as_of),
        }
        meta = tables_metadata(con, "ml", counts)
    failures: dict[str, str] = {}
    posted = notify(out, settings.alert_webhook, settings.alert_kind, settings.alert_chat_id, config, failures)
    if posted:
        context.log.info(f"posted {posted} alert / digest messages")
    for route, reason in failures.items():
        context.log.warning(f"alerts: route {route!r} could not be reached, its messages were not delivered: {reason}")
    decisions = out.history["decision"].value_counts().to_dict() if len(out.history) else {}
    shown = out.digests if out.first_run else out.alerts
    preview = shown[["manager", "message"]].head(10).to_markdown(index=False) if len(shown) else "nothing to send"
    yield dg.MaterializeResult(
        asset_key=["ml", "alerts"],
        metadata={**meta["alerts"], "first_run": out.first_run, "verdict_source": source,
                  "posted_messages": posted, "undelivered_routes": dg.MetadataValue.json(failures),
                  "managers": int(out.alerts["manager"].nunique()) if len(out.alerts) else 0,
                  "decisions": dg.MetadataValue.json({str(k): int(v) for k, v in decisions.items()}),
                  "preview": dg.MetadataValue.md(preview)},
    )
    yield dg.AssetCheckResult(
        asset_key=dg.AssetKey(["ml", "alerts"]), check_name="alerts_delivered", passed=not failures,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"posted_messages": posted, "undelivered_routes": dg.MetadataValue.json(failures)})
    yield dg.MaterializeResult(asset_key=["ml", "alert_digests"], metadata={**meta["alert_digests"]})
    yield dg.MaterializeResult(asset_key=["ml", "alert_history"], metadata={**meta["alert_history"]})


def _degraded_check(asset: str, check: str, method: str, reason: str, **metadata) -> dg.AssetCheckResult:
    """WARN when a step fell back to a simpler method; the reason and the method used are in the metadata."""
    return dg.AssetCheckResult(
        asset_key=dg.AssetKey(["ml", asset]), check_name=check, passed=not reason,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"method": method, "reason": reason or "none", "reason_code": reason.split(":", 1)[0] if reason else "none",
                  **metadata},
    )


def _warn_check(asset: str, check: str, description: str) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(check, asset=dg.AssetKey(["ml", asset]), description=description)


@dg.multi_asset(
    specs=[
        _spec("customer_features", "Point-in-time features per customer as of the date (only data before it).", [IDENTITY, *STAGING_FACTS, CUSTOMER_ORDERS, dg.AssetKey(["ml", "message_signals"])]),
        _spec("customer_clusters", "Cluster per customer with a readable name."),
        _spec("cluster_profiles", "Cluster names, descriptions, sizes and centroids (stable across runs)."),
        _spec("customer_btyd", "BG/NBD per customer as of the date: P(alive), expected purchases and P(no purchase) in the BTYD horizon, fit status and parameters (NULL when the data cannot identify the model)."),
    ],
    check_specs=[
        _warn_check("customer_btyd", "btyd_fit", "BG/NBD was fitted (enough repeat buyers, converged); WARN names why not."),
        _warn_check("customer_clusters", "cluster_count", "At least k_min clusters were supported; WARN names why fewer."),
    ],
    group_name="ml",
    **AS_OF_STEP,
)
def customer_segments(context: dg.AssetExecutionContext, warehouse: Warehouse, settings: PipelineSettings):
    from ml.steps import build_segments

    as_of = partition_date(context)
    config = settings.config("models")
    with warehouse.connect() as con:
        facts = load_customer_facts(con, as_of)
        previous = con.execute("SELECT * FROM ml.cluster_profiles").df() if table_exists(con, "ml", "cluster_profiles") else None
        seg = build_segments(facts, as_of, config, previous)
        features, assignments, profiles, btyd_frame = seg.features, seg.assignments, seg.profiles, seg.btyd
        k, cluster_reason, btyd_status = seg.clusters, seg.cluster_reason, seg.btyd_status
        if cluster_reason:
            context.log.warning(f"clusters: {cluster_reason}")
        if btyd_status != "ok":
            context.log.warning(f"BG/NBD: {btyd_status}; its columns are NULL and churn falls back to recency")
        counts = {
            "customer_features": replace_table(con, "ml", "customer_features", features.assign(as_of=as_of)),
            "customer_clusters": replace_table(con, "ml", "customer_clusters", assignments.assign(as_of=as_of)),
            "cluster_profiles": replace_table(con, "ml", "cluster_profiles", profiles.assign(as_of=as_of)),
            "customer_btyd": replace_table(con, "ml", "customer_btyd", btyd_frame.assign(as_of=as_of)),
        }
        meta = tables_metadata(con, "ml", counts)
    yield dg.MaterializeResult(asset_key=["ml", "customer_features"], metadata={**meta["customer_features"], "columns": len(features.columns)})
    yield dg.MaterializeResult(
        asset_key=["ml", "customer_clusters"],
        metadata={**meta["customer_clusters"], "sizes": dg.MetadataValue.json(assignments["cluster_name"].value_counts().to_dict())},
    )
    summary = profiles[[c for c in ("cluster_name", "size", "description") if c in profiles.columns]]
    yield dg.MaterializeResult(
        asset_key=["ml", "cluster_profiles"],
        metadata={**meta["cluster_profiles"], "profiles": dg.MetadataValue.md(summary.to_markdown(index=False))},
    )
    params = features.attrs.get("btyd_params") or {}
    yield dg.MaterializeResult(
        asset_key=["ml", "customer_btyd"],
        metadata={**meta["customer_btyd"], "btyd_status": btyd_status,
                  "btyd_params": dg.MetadataValue.json({k: float(v) for k, v in params.items()}),
                  "repeaters": int(features.attrs.get("btyd_repeaters") or 0)},
    )
    yield _degraded_check("customer_btyd", "btyd_fit", "bgnbd" if btyd_status == "ok" else "none",
                          "" if btyd_status == "ok" else f"{btyd_status}: BG/NBD not fitted as of the date",
                          repeaters=int(features.attrs.get("btyd_repeaters") or 0))
    yield _degraded_check("customer_clusters", "cluster_count", f"{k} cluster(s)", cluster_reason, clusters=k)


def _metrics_metadata(model) -> dict:
    flat = {k: v for k, v in (model.metrics or {}).items() if isinstance(v, (int, float, str))}
    return {
        "model_kind": model.model_kind,
        "fallback_reason": model.fallback_reason or "none",
        "metrics": dg.MetadataValue.json(json.loads(json.dumps(model.metrics, default=str))),
        "validation_cutoff": model.validation_cutoff,
        "training_cutoffs": dg.MetadataValue.json(model.cutoffs),
        "data_hash": model.data_hash,
        **{f"metric/{k}": v for k, v in flat.items()},
    }


@dg.multi_asset(
    specs=[
        _spec("churn_scores", "P(no purchase within the horizon) per customer as of the date.", [dg.AssetKey(["ml", "customer_features"]), dg.AssetKey(["ml", "customer_clusters"])]),
        _spec("toxicity_scores", "P(the customer becomes toxic — C and R scores below 2 — next period)."),
        _spec("model_runs", "One row per model training / scoring run: metrics, cutoffs, data hash."),
        _spec("model_drivers", "Permutation importance of features, global and per cluster."),
    ],
    check_specs=[
        _warn_check("churn_scores", "churn_method", "The learned churn model was used; WARN names the fallback and why."),
        _warn_check("toxicity_scores", "toxicity_method", "The learned toxicity model was used; WARN names the fallback and why."),
    ],
    group_name="ml",
    **AS_OF_STEP,
)
def churn_and_toxicity(context: dg.AssetExecutionContext, warehouse: Warehouse, settings: PipelineSettings):
    from ml.steps import model_drivers, model_runs, train_and_score

    as_of = partition_date(context)
    config = settings.config("models")
    model_dir = warehouse.data_dir / "models"
    with warehouse.connect() as con:
        facts = load_customer_facts(con, as_of)
        clusters = con.execute("SELECT customer_id, cluster_name FROM ml.customer_clusters ORDER BY customer_id").df()
    # the models fit and score with the warehouse closed: DuckDB's buffer pool (up to
    # warehouse.memory_limit) is not held beside the feature frames (the 1M run's peak was here)
    segments = clusters.set_index("customer_id")["cluster_name"]
    scored = [train_and_score(kind, facts, as_of, config, model_dir, context.log) for kind in ("churn", "toxicity")]
    (churn_model, churn), (tox_model, toxicity) = ((s.model, s.scores) for s in scored)
    drivers = model_drivers(scored, segments)
    runs = model_runs(scored)
    del facts
    with warehouse.connect() as con:
        counts = {
            "churn_scores": replace_table(con, "ml", "churn_scores", churn.assign(as_of=as_of)),
            "toxicity_scores": replace_table(con, "ml", "toxicity_scores", toxicity.assign(as_of=as_of)),
            "model_drivers": replace_table(con, "ml", "model_drivers", drivers.assign(as_of=as_of)),
        }
        replace_snapshot(con, "ml", "model_runs", runs, as_of)
        counts["model_runs"] = con.execute("SELECT count(*) FROM ml.model_runs").fetchone()[0]
        meta = tables_metadata(con, "ml", counts)

    yield dg.MaterializeResult(asset_key=["ml", "churn_scores"], metadata={**meta["churn_scores"], **_metrics_metadata(churn_model)})
    yield dg.MaterializeResult(asset_key=["ml", "toxicity_scores"], metadata={**meta["toxicity_scores"], **_metrics_metadata(tox_model)})
    yield dg.MaterializeResult(asset_key=["ml", "model_runs"], metadata={**meta["model_runs"]})
    for m, asset in ((churn_model, "churn_scores"), (tox_model, "toxicity_scores")):
        yield _degraded_check(asset, f"{m.kind}_method", m.model_kind, m.fallback_reason)
    top = drivers[drivers["segment"] == "__all__"].head(20) if len(drivers) else drivers
    yield dg.MaterializeResult(
        asset_key=["ml", "model_drivers"],
        metadata={**meta["model_drivers"], "top_drivers": dg.MetadataValue.md(top.to_markdown(index=False) if len(top) else "none")},
    )
