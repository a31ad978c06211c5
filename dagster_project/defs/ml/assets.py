"""ML and text assets: message signals → health & alerts; features → clusters; churn & toxicity.

Thin wiring: the logic is in `ml.signals`, `ml.health`, `ml.alerts`, `ml.notify`, `ml.features`,
`ml.clusters` and `ml.churn`; here we read facts up to the as-of date, call them and store the
results (snapshots keyed by as_of where history matters).
"""

import datetime as dt
import json
import os
from pathlib import Path

import dagster as dg
import pandas as pd

from dagster_project.settings import WAREHOUSE_POOL, load_settings, resolve_as_of
from dagster_project.warehouse import connect, replace_table, table_exists
from data_quality.config import load_yaml

from .data import load_customer_facts, load_message_texts, replace_snapshot

ML_KINDS = {"python", "scikitlearn", "duckdb"}
IDENTITY = dg.AssetKey(["core", "customer_identity"])
STAGING_FACTS = [
    dg.AssetKey(["staging", t])
    for t in ("stg_orders", "stg_support_tickets", "stg_marketing_events", "stg_phone_calls", "stg_mail_messages")
]
CUSTOMER_ORDERS = dg.AssetKey(["staging", "int_customer_orders"])  # dbt: line items summed, deduplicated


def _with_every_customer(scores: pd.DataFrame, customer_ids: pd.Series, as_of: dt.date, previous) -> pd.DataFrame:
    """A customer with no correspondence and no tickets shows no risk signal: health 100, not NULL."""
    missing = pd.Index(customer_ids.dropna().unique()).difference(pd.Index(scores["customer_id"]))
    if missing.empty:
        return scores
    as_of_value = scores["as_of"].iloc[0] if len(scores) and "as_of" in scores else as_of  # same type as the rest
    quiet = pd.DataFrame({"customer_id": missing, "as_of": as_of_value, "health_score": 100.0,
                          "risk_points": 0.0, "health_band": "healthy", "top_reasons": ""})
    if previous is not None and "health_score" in previous:
        before = previous.set_index("customer_id")["health_score"]
        quiet["health_delta"] = 100.0 - quiet["customer_id"].map(before)
    quiet = quiet.reindex(columns=scores.columns)
    for column in scores.columns:
        if column in quiet and quiet[column].isna().all() and scores[column].dtype != object:
            quiet[column] = quiet[column].astype(scores[column].dtype, errors="ignore")
    if scores.empty:
        return quiet.reset_index(drop=True)
    return pd.concat([scores, quiet], ignore_index=True)


def _spec(name: str, description: str, deps=()) -> dg.AssetSpec:
    return dg.AssetSpec(key=["ml", name], description=description, deps=list(deps), kinds=ML_KINDS)


@dg.asset(
    key=["ml", "message_signals"],
    deps=[IDENTITY, *STAGING_FACTS],
    group_name="ml",
    kinds={"python", "duckdb"},
    pool=WAREHOUSE_POOL,
    description="Per message (mail, ticket text, call transcript): language, tone in [-1, 1], markers and evidence "
    "(ml.message_signals); with llm.enabled also an anonymised outside model's second opinion (ml.message_llm_signals).",
)
def message_signals(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    from ml.llm import provider_from_config, second_opinion
    from ml.signals import score_messages

    settings = load_settings()
    as_of = resolve_as_of(context.run.tags)
    config = load_yaml("signals.yaml")
    with connect(settings.warehouse_path) as con:
        texts = load_message_texts(con, as_of)
        signals = score_messages(texts, config=config)
        rows = replace_table(con, "ml", "message_signals", signals)
        # optional outside model (off by default): anonymised second opinion on the flagged messages
        provider = provider_from_config(config)
        llm = second_opinion(signals, texts, provider, int((config.get("llm") or {}).get("max_messages", 200)))
        replace_table(con, "ml", "message_llm_signals", llm)
    markers = [c for c in signals.columns if c.startswith(("is_", "asks_", "mentions_")) or c.endswith(("_complaint", "_request"))]
    return dg.MaterializeResult(
        metadata={
            "dg/row_count": rows,
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
        _spec("alerts", "Customers who crossed into risk on the as-of date, with reasons and playbook."),
    ],
    group_name="ml",
    pool=WAREHOUSE_POOL,
)
def customer_health(context: dg.AssetExecutionContext):
    from ml.alerts import build_alerts
    from ml.health import health_scores
    from ml.notify import post_alerts
    from ml.signals import customer_trends, ticket_patterns

    settings = load_settings()
    as_of = resolve_as_of(context.run.tags)
    signals_config = load_yaml("signals.yaml")
    health_config = load_yaml("health.yaml")
    with connect(settings.warehouse_path) as con:
        signals = con.execute(
            "SELECT * FROM ml.message_signals WHERE cast(sent_at AS date) <= $as_of ORDER BY message_id", {"as_of": as_of}
        ).df()
        facts = load_customer_facts(con, as_of)
        trends = customer_trends(signals, as_of, signals_config)
        patterns = ticket_patterns(facts["tickets"], as_of, signals_config)
        previous = None
        if table_exists(con, "ml", "health_history"):
            previous = con.execute(
                "SELECT * FROM ml.health_history WHERE as_of = (SELECT max(as_of) FROM ml.health_history WHERE as_of < $as_of)",
                {"as_of": as_of},
            ).df()
            previous = previous if len(previous) else None
        scores, factors = health_scores(trends, patterns, as_of, health_config, previous)
        scores = _with_every_customer(scores, facts["customers"]["customer_id"], as_of, previous)
        alerts = build_alerts(scores, previous, factors, health_config)
        counts = {
            "health_scores": replace_table(con, "ml", "health_scores", scores),
            "health_factors": replace_table(con, "ml", "health_factors", factors),
            "alerts": replace_table(con, "ml", "alerts", alerts),
        }
        replace_snapshot(con, "ml", "health_history", scores.drop(columns=["as_of"], errors="ignore"), as_of)
        counts["health_history"] = con.execute("SELECT count(*) FROM ml.health_history").fetchone()[0]

    posted = 0
    webhook = os.environ.get("CLIENTPULSE_ALERT_WEBHOOK")
    if webhook and len(alerts):
        kind = os.environ.get("CLIENTPULSE_ALERT_KIND", "slack")
        posted = post_alerts(alerts, webhook, kind=kind, chat_id=os.environ.get("CLIENTPULSE_ALERT_CHAT_ID"))
        context.log.info(f"posted {posted} alert messages to the {kind} webhook")
    bands = scores["health_band"].value_counts().to_dict() if len(scores) else {}
    yield dg.MaterializeResult(
        asset_key=["ml", "health_scores"],
        metadata={"dg/row_count": counts["health_scores"], "bands": dg.MetadataValue.json(bands)},
    )
    yield dg.MaterializeResult(asset_key=["ml", "health_factors"], metadata={"dg/row_count": counts["health_factors"]})
    yield dg.MaterializeResult(asset_key=["ml", "health_history"], metadata={"dg/row_count": counts["health_history"]})
    yield dg.MaterializeResult(
        asset_key=["ml", "alerts"],
        metadata={
            "dg/row_count": counts["alerts"],
            "posted_messages": posted,
            "preview": dg.MetadataValue.md(alerts.head(10).to_markdown(index=False) if len(alerts) else "no alerts"),
        },
    )


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


BTYD_COLUMNS = {"p_alive": "p_alive", "btyd_expected_purchases": "expected_purchases", "btyd_p_no_purchase": "p_no_purchase"}


def _customer_btyd(features: pd.DataFrame, config: dict) -> pd.DataFrame:
    """Per-customer BG/NBD expectations of the run (the churn model's BTYD inputs and its baseline)."""
    out = features.reindex(columns=["customer_id", "frequency", "recency_days", "tenure_days", *BTYD_COLUMNS]).rename(columns=BTYD_COLUMNS)
    return out.assign(horizon_days=int(config.get("features", {}).get("btyd", {}).get("horizon_days", 90)),
                      btyd_status=features.attrs.get("btyd_status"),
                      btyd_params=json.dumps(features.attrs.get("btyd_params") or {}, default=float))


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
    pool=WAREHOUSE_POOL,
)
def customer_segments(context: dg.AssetExecutionContext):
    from ml.clusters import fit_clusters
    from ml.features import build_features

    settings = load_settings()
    as_of = resolve_as_of(context.run.tags)
    config = load_yaml("models.yaml")
    with connect(settings.warehouse_path) as con:
        facts = load_customer_facts(con, as_of)
        # features "as of" the date include that day's rows: the cutoff is the next midnight
        features = build_features(facts, as_of + dt.timedelta(days=1), config)
        previous = con.execute("SELECT * FROM ml.cluster_profiles").df() if table_exists(con, "ml", "cluster_profiles") else None
        if len(features):
            assignments, profiles, model = fit_clusters(features, config, previous=previous)
            k, cluster_reason = model.k, model.fallback_reason
        else:
            assignments = pd.DataFrame({"customer_id": pd.Series(dtype=str), "cluster_id": pd.Series(dtype="int64"),
                                        "cluster_name": pd.Series(dtype=str)})
            profiles = pd.DataFrame({"cluster_id": pd.Series(dtype="int64"), "cluster_name": pd.Series(dtype=str),
                                     "description": pd.Series(dtype=str), "size": pd.Series(dtype="int64")})
            k, cluster_reason = 0, "no_customers: no customer is known before the as-of date"
        if cluster_reason:
            context.log.warning(f"clusters: {cluster_reason}")
        btyd_frame = _customer_btyd(features, config)
        btyd_status = features.attrs.get("btyd_status") or "no_purchases"
        if btyd_status != "ok":
            context.log.warning(f"BG/NBD: {btyd_status}; its columns are NULL and churn falls back to recency")
        counts = {
            "customer_features": replace_table(con, "ml", "customer_features", features.assign(as_of=as_of)),
            "customer_clusters": replace_table(con, "ml", "customer_clusters", assignments.assign(as_of=as_of)),
            "cluster_profiles": replace_table(con, "ml", "cluster_profiles", profiles.assign(as_of=as_of)),
            "customer_btyd": replace_table(con, "ml", "customer_btyd", btyd_frame.assign(as_of=as_of)),
        }
    yield dg.MaterializeResult(asset_key=["ml", "customer_features"], metadata={"dg/row_count": counts["customer_features"], "columns": len(features.columns)})
    yield dg.MaterializeResult(
        asset_key=["ml", "customer_clusters"],
        metadata={"dg/row_count": counts["customer_clusters"], "sizes": dg.MetadataValue.json(assignments["cluster_name"].value_counts().to_dict())},
    )
    summary = profiles[[c for c in ("cluster_name", "size", "description") if c in profiles.columns]]
    yield dg.MaterializeResult(
        asset_key=["ml", "cluster_profiles"],
        metadata={"dg/row_count": counts["cluster_profiles"], "profiles": dg.MetadataValue.md(summary.to_markdown(index=False))},
    )
    params = features.attrs.get("btyd_params") or {}
    yield dg.MaterializeResult(
        asset_key=["ml", "customer_btyd"],
        metadata={"dg/row_count": counts["customer_btyd"], "btyd_status": btyd_status,
                  "btyd_params": dg.MetadataValue.json({k: float(v) for k, v in params.items()}),
                  "repeaters": int(features.attrs.get("btyd_repeaters") or 0)},
    )
    yield _degraded_check("customer_btyd", "btyd_fit", "bgnbd" if btyd_status == "ok" else "none",
                          "" if btyd_status == "ok" else f"{btyd_status}: BG/NBD not fitted as of the date",
                          repeaters=int(features.attrs.get("btyd_repeaters") or 0))
    yield _degraded_check("customer_clusters", "cluster_count", f"{k} cluster(s)", cluster_reason, clusters=k)


def _model_for(kind: str, train, data, as_of: dt.date, config: dict, model_dir: Path, log):
    """Reuse the latest saved learned model unless retraining is due; returns (model, retrained).

    A model is reused only if it was trained as of an earlier date within ``retrain_every_days`` and
    with the same configuration (age by the as-of dates, not the wall clock, so back-fills and
    re-runs behave alike). Fallbacks are cheap and never saved: they are recomputed every run."""
    from ml.model_store import load_latest, retrain_due, save_model

    model = load_latest(model_dir, kind, as_of)
    if model is not None and model.config == config and not retrain_due(model.as_of, as_of, config):
        log.info(f"{kind}: reusing model trained for {model.as_of}")
        return model, False
    model = train(data, as_of, config)
    if model.fallback_reason and model.model_kind not in ("hgb", "logreg"):
        log.warning(f"{kind}: {model.fallback_reason} -> fallback method {model.model_kind}")
        return model, True
    if model.fallback_reason:
        log.warning(f"{kind}: {model.fallback_reason}")
    path = save_model(model, model_dir, kind)
    log.info(f"{kind}: trained {model.model_kind}, saved to {path}")
    return model, True


def _train_and_score(kind: str, facts, as_of: dt.date, config: dict, model_dir: Path, log):
    """Train (or reuse) and score; when the data cannot support the learned model, the training returns
    a documented fallback (its method is in the scores' ``<kind>_model`` column)."""
    from ml.churn import score_churn, score_toxicity, train_churn, train_toxicity

    train, score = (train_churn, score_churn) if kind == "churn" else (train_toxicity, score_toxicity)
    model, new = _model_for(kind, train, facts, as_of, config, model_dir, log)
    return model, new, score(model, facts, as_of)


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
    pool=WAREHOUSE_POOL,
)
def churn_and_toxicity(context: dg.AssetExecutionContext):
    from ml.churn import explain_drivers

    settings = load_settings()
    as_of = resolve_as_of(context.run.tags)
    config = load_yaml("models.yaml")
    model_dir = settings.data_dir / "models"
    with connect(settings.warehouse_path) as con:
        facts = load_customer_facts(con, as_of)
        clusters = con.execute("SELECT customer_id, cluster_name FROM ml.customer_clusters ORDER BY customer_id").df()
        segments = clusters.set_index("customer_id")["cluster_name"]
        churn_model, churn_new, churn = _train_and_score("churn", facts, as_of, config, model_dir, context.log)
        tox_model, tox_new, toxicity = _train_and_score("toxicity", facts, as_of, config, model_dir, context.log)
        trained = [(m, new, scores) for m, new, scores in ((churn_model, churn_new, churn), (tox_model, tox_new, toxicity))]
        drivers = pd.concat([explain_drivers(m, segments) for m, _, _ in trained] or [pd.DataFrame()], ignore_index=True)
        runs = pd.DataFrame(
            [
                {
                    "model": m.kind,
                    "model_kind": m.model_kind,
                    "fallback_reason": m.fallback_reason,
                    "retrained": new,
                    "trained_for": str(m.as_of),
                    "validation_cutoff": str(m.validation_cutoff),
                    "training_cutoffs": json.dumps([str(c) for c in m.cutoffs]),
                    "feature_list": json.dumps(m.feature_names),
                    "data_hash": m.data_hash,
                    # the BG/NBD fitted for this run's scoring: the baseline the churn model is compared with
                    "metrics": json.dumps({**m.metrics, "btyd_at_as_of": scores.attrs.get("btyd")}, default=str),
                    "scored_customers": len(scores),
                }
                for m, new, scores in trained
            ]
        )
        counts = {
            "churn_scores": replace_table(con, "ml", "churn_scores", churn.assign(as_of=as_of)),
            "toxicity_scores": replace_table(con, "ml", "toxicity_scores", toxicity.assign(as_of=as_of)),
            "model_drivers": replace_table(con, "ml", "model_drivers", drivers.assign(as_of=as_of)),
        }
        replace_snapshot(con, "ml", "model_runs", runs, as_of)
        counts["model_runs"] = con.execute("SELECT count(*) FROM ml.model_runs").fetchone()[0]

    yield dg.MaterializeResult(asset_key=["ml", "churn_scores"], metadata={"dg/row_count": counts["churn_scores"], **_metrics_metadata(churn_model)})
    yield dg.MaterializeResult(asset_key=["ml", "toxicity_scores"], metadata={"dg/row_count": counts["toxicity_scores"], **_metrics_metadata(tox_model)})
    yield dg.MaterializeResult(asset_key=["ml", "model_runs"], metadata={"dg/row_count": counts["model_runs"]})
    for m, asset in ((churn_model, "churn_scores"), (tox_model, "toxicity_scores")):
        yield _degraded_check(asset, f"{m.kind}_method", m.model_kind, m.fallback_reason)
    top = drivers[drivers["segment"] == "__all__"].head(20) if len(drivers) else drivers
    yield dg.MaterializeResult(
        asset_key=["ml", "model_drivers"],
        metadata={"dg/row_count": counts["model_drivers"], "top_drivers": dg.MetadataValue.md(top.to_markdown(index=False) if len(top) else "none")},
    )
