"""One function per ML step of the daily run: the decisions the Dagster assets only call.

Each takes the facts already read from the warehouse and the step's configuration and returns
the frames to store; the assets do the reading, writing and reporting.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

BTYD_COLUMNS = {"p_alive": "p_alive", "btyd_expected_purchases": "expected_purchases",
                "btyd_p_no_purchase": "p_no_purchase"}


# ----------------------------------------------------------------------------- health and alerts


def with_every_customer(scores: pd.DataFrame, customer_ids: pd.Series, as_of: dt.date, previous) -> pd.DataFrame:
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


@dataclass
class HealthOutputs:
    scores: pd.DataFrame
    factors: pd.DataFrame
    reply_events: pd.DataFrame | None = None     # one row per inbound turn (ml.reply_events)
    customer_replies: pd.DataFrame | None = None  # per customer over the window (ml.customer_reply_quality)


def score_health(signals: pd.DataFrame, facts: dict[str, pd.DataFrame], as_of: dt.date, previous: pd.DataFrame | None,
                 signals_config: dict, health_config: dict) -> HealthOutputs:
    """Tone trends and ticket patterns → health per customer (every known customer). The alerts are
    built later, from the customer verdict (``build_alerts``)."""
    from ml.health import health_scores
    from ml.signals import customer_trends, ticket_patterns
    from ml.signals.trends import reply_quality

    trends = customer_trends(signals, as_of, signals_config)
    patterns = ticket_patterns(facts["tickets"], as_of, signals_config)
    events, replies = reply_quality(signals, as_of, health_config)
    scores, factors = health_scores(trends, patterns, as_of, health_config, previous, replies)
    scores = with_every_customer(scores, facts["customers"]["customer_id"], as_of, previous)
    return HealthOutputs(scores, factors, events, replies)


def build_alerts(verdict: pd.DataFrame, previous: pd.DataFrame | None, as_of: dt.date, health_config: dict,
                 default_webhook: str | None = None, kind: str = "slack", chat_id: str | None = None):
    """Crossings into risk since the previous snapshot → alerts within each manager's budget, a digest
    per manager on the first run, and the day's decision log (rules: ``ml.alerts``)."""
    from ml.alerts import Route
    from ml.alerts import build_alerts as rules

    return rules(verdict, previous, as_of, health_config, Route("default", default_webhook, kind or "slack", chat_id))


def notify(alerts, webhook: str | None, kind: str, chat_id: str | None, health_config: dict | None = None,
           failures: dict[str, str] | None = None) -> int:
    """Post the day's digests / alerts, each manager's to their route (config/health.yaml
    alerts.routing), the rest to the default webhook; returns the number of messages posted.

    ``alerts`` is the ``AlertOutputs`` of ``build_alerts`` (or a bare frame with a message column,
    posted to the default webhook). With ``failures``, a route that stays unreachable after its
    retries is recorded there instead of raising (the alert step then warns; the marts go on)."""
    from ml.alerts import AlertOutputs, Route, messages_by_route
    from ml.notify import post_routed

    default = Route("default", webhook, kind or "slack", chat_id)
    if isinstance(alerts, AlertOutputs):
        batches = messages_by_route(alerts, health_config, default)
    else:
        batches = {default: [str(m) for m in alerts["message"]]} if len(alerts) and "message" in alerts else {}
    if not any(r.webhook and m for r, m in batches.items()):
        return 0
    return sum(post_routed(batches, failures=failures).values())


# ----------------------------------------------------------------------------- segments


def customer_btyd(features: pd.DataFrame, config: dict) -> pd.DataFrame:
    """Per-customer BG/NBD expectations of the run (the churn model's BTYD inputs and its baseline)
    and the expected value over the same horizon (Gamma-Gamma × BG/NBD, else past revenue; see
    ``ml.features.scores.clv_outputs``)."""
    from ml.features.scores import clv_outputs

    horizon = int(config["features"]["btyd"]["horizon_days"])
    out = features.reindex(columns=["customer_id", "frequency", "recency_days", "tenure_days", *BTYD_COLUMNS])
    out = out.rename(columns=BTYD_COLUMNS).assign(
        horizon_days=horizon,
        btyd_status=features.attrs.get("btyd_status"),
        btyd_params=json.dumps(features.attrs.get("btyd_params") or {}, default=float),
    )
    return pd.concat([out, clv_outputs(features, horizon)], axis=1)


@dataclass
class Segments:
    features: pd.DataFrame
    assignments: pd.DataFrame
    profiles: pd.DataFrame
    btyd: pd.DataFrame
    clusters: int
    cluster_reason: str
    btyd_status: str


def build_segments(facts: dict[str, pd.DataFrame], as_of: dt.date, config: dict,
                   previous_profiles: pd.DataFrame | None) -> Segments:
    """Point-in-time features, clusters named stably against the previous profiles, and BG/NBD."""
    from ml.clusters import fit_clusters
    from ml.features import build_features

    # features "as of" the date include that day's rows: the cutoff is the next midnight
    features = build_features(facts, as_of + dt.timedelta(days=1), config)
    if len(features):
        assignments, profiles, model = fit_clusters(features, config, previous=previous_profiles)
        k, reason = model.k, model.fallback_reason
    else:
        assignments = pd.DataFrame({"customer_id": pd.Series(dtype=str), "cluster_id": pd.Series(dtype="int64"),
                                    "cluster_name": pd.Series(dtype=str)})
        profiles = pd.DataFrame({"cluster_id": pd.Series(dtype="int64"), "cluster_name": pd.Series(dtype=str),
                                 "description": pd.Series(dtype=str), "size": pd.Series(dtype="int64")})
        k, reason = 0, "no_customers: no customer is known before the as-of date"
    return Segments(features, assignments, profiles, customer_btyd(features, config), k, reason or "",
                    features.attrs.get("btyd_status") or "no_purchases")


# ----------------------------------------------------------------------------- churn and toxicity


def model_for(kind: str, train: Callable, data, as_of: dt.date, config: dict, model_dir: Path, log):
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


@dataclass
class ScoredModel:
    model: object
    retrained: bool
    scores: pd.DataFrame


def train_and_score(kind: str, facts, as_of: dt.date, config: dict, model_dir: Path, log) -> ScoredModel:
    """Train (or reuse) and score; when the data cannot support the learned model, the training returns
    a documented fallback (its method is in the scores' ``<kind>_model`` column)."""
    from ml.churn import score_churn, score_toxicity, train_churn, train_toxicity

    train, score = (train_churn, score_churn) if kind == "churn" else (train_toxicity, score_toxicity)
    model, new = model_for(kind, train, facts, as_of, config, model_dir, log)
    return ScoredModel(model, new, score(model, facts, as_of))


def model_runs(scored: list[ScoredModel]) -> pd.DataFrame:
    """One row per model of the run: method, fallback, cutoffs, features, data hash and metrics."""
    return pd.DataFrame(
        [
            {
                "model": s.model.kind,
                "model_kind": s.model.model_kind,
                "fallback_reason": s.model.fallback_reason,
                "retrained": s.retrained,
                "trained_for": str(s.model.as_of),
                "validation_cutoff": str(s.model.validation_cutoff),
                "training_cutoffs": json.dumps([str(c) for c in s.model.cutoffs]),
                "feature_list": json.dumps(s.model.feature_names),
                "data_hash": s.model.data_hash,
                # the BG/NBD fitted for this run's scoring: the baseline the churn model is compared with
                "metrics": json.dumps({**s.model.metrics, "btyd_at_as_of": s.scores.attrs.get("btyd")}, default=str),
                "scored_customers": len(s.scores),
            }
            for s in scored
        ]
    )


def model_drivers(scored: list[ScoredModel], segments: pd.Series) -> pd.DataFrame:
    from ml.churn import explain_drivers

    frames = [explain_drivers(s.model, segments) for s in scored]
    filled = [f for f in frames if not f.empty]  # concat of empty frames is deprecated in pandas
    if filled:
        return pd.concat(filled, ignore_index=True)
    return frames[0] if frames else pd.DataFrame()
