"""Training: labelled cutoffs, a customer sample, the data checks, candidates fitted and calibrated
out of time, the final model refitted on every labelled cutoff but the validation one; a documented
fallback whenever a check fails (see the package doc)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from clientpulse_config import load
from ml.features import PreparedData, cut_ns, model_feature_columns, prepare_data, setting
from ml.model_store import data_hash

from .calibration import calibrate, calibration_method
from .candidates import fit_candidate
from .checks import class_problem, has_complaint_data, informative
from .cold_start import cold_start_table
from .fallbacks import fallback
from .labels import labelled_cutoffs, labelled_dataset
from .metrics import baselines, evaluate_scores
from .model import ChurnModel, data_end, day, now
from .sampling import cap, sample_codes


def train_churn(data: Mapping[str, pd.DataFrame], as_of, config: Mapping | None = None) -> ChurnModel:
    """Train the churn model (see the package doc)."""
    return _train("churn", data, as_of, config)


def train_toxicity(data: Mapping[str, pd.DataFrame], as_of, config: Mapping | None = None) -> ChurnModel:
    return _train("toxicity", data, as_of, config)


def _train(kind: str, data: Mapping[str, pd.DataFrame], as_of, config: Mapping | None) -> ChurnModel:
    cfg = load("models") if config is None else dict(config)
    with threadpool_limits(limits=cfg.get("n_threads")):
        return _train_impl(kind, data, as_of, cfg)


@dataclass
class _Plan:
    """Labelled cutoffs by role: the evaluation stage fits on ``fit``, calibrates on ``calibration``
    and compares on ``validation``; the final model fits on ``final``."""

    fit: list[pd.Timestamp]
    calibration: pd.Timestamp
    validation: pd.Timestamp
    final: list[pd.Timestamp]


@dataclass
class _Rows:
    """The labelled rows of customers with a purchase (all customers for toxicity), by role."""

    fit: pd.DataFrame
    calibration: pd.DataFrame
    full_validation: pd.DataFrame
    validation: pd.DataFrame       # full_validation capped at ``validation_sample``
    final: pd.DataFrame


def _train_impl(kind: str, data: Mapping[str, pd.DataFrame], as_of, cfg: dict) -> ChurnModel:
    mcfg = dict(cfg.get(kind, {}))
    seed = int(cfg.get("random_state", 42))
    end = data_end(as_of)
    prep = prepare_data(data)
    # a cutoff before everybody's first time stamp has no rows
    cuts = [c for c in labelled_cutoffs(end, int(mcfg.get("horizon_days", 90)), int(mcfg.get("cutoff_step_days", 30)),
                                        int(mcfg.get("n_cutoffs", 6))) if (prep.first_ns < cut_ns(c)).any()]
    if kind == "toxicity" and not has_complaint_data(prep, end, cfg):
        return fallback(kind, "no_complaint_data: no complaint, return or manager time before the as-of date",
                        prep, None, data, as_of, cfg)
    plan, reason = _plan(cuts, mcfg, kind)
    if plan is None:
        return fallback(kind, reason, prep, cuts, data, as_of, cfg)
    keep, ds = _sampled_dataset(prep, plan, cfg, kind, mcfg, seed)
    rows = _rows(ds, plan, mcfg, seed)
    problem = _data_problem(rows, mcfg, kind)
    if problem:
        return fallback(kind, problem, prep, ds, data, as_of, cfg)
    feat_names = informative(rows.fit, [c for c in model_feature_columns(ds) if c not in ("label", "cold")])

    candidates = list(mcfg.get("candidates", ["hgb", "logreg"]))
    skipped: dict[str, str] = {}
    hgb_min = int(setting(mcfg, "hgb_min_rows", kind))
    if "hgb" in candidates and len(rows.fit) < hgb_min:
        skipped["hgb"] = f"too_few_rows_for_hgb: {len(rows.fit)} fit rows (< {hgb_min})"
        candidates.remove("hgb")
    if not candidates:
        return fallback(kind, skipped["hgb"], prep, ds, data, as_of, cfg)

    method = mcfg.get("calibration", "isotonic")
    results, n_iter, cal_method = _evaluate(candidates, rows, feat_names, mcfg, kind, seed)
    sel = mcfg.get("selection_metric", "roc_auc")
    best = max(results, key=lambda k: (np.nan_to_num(results[k].get(sel, 0)), np.nan_to_num(results[k].get("roc_auc", 0))))
    yv = rows.validation["label"].to_numpy()
    base = {b: evaluate_scores(yv, s, probabilities=False) for b, s in baselines(kind, rows.validation).items()}

    # final: refit on every cutoff but the validation one, calibrate on the validation cutoff
    final = fit_candidate(best, rows.final, feat_names, seed, mcfg.get("hgb", {}))
    final_iter = int(getattr(final, "n_iter_", 0) or 0)
    final_cal = calibration_method(method, len(rows.full_validation), mcfg, kind)
    final = calibrate(final, rows.full_validation[feat_names], rows.full_validation["label"].to_numpy(), final_cal)

    metrics = {"method": best, "selected": best, "selection_metric": sel,
               "validation_cutoff": str(plan.validation.date()),
               "calibration_cutoff": str(plan.calibration.date()), "fit_cutoffs": [str(c.date()) for c in plan.fit],
               "final_cutoffs": [str(c.date()) for c in plan.final],
               "calibration": {"evaluation": cal_method, "final": final_cal},
               "candidates": results, "skipped_candidates": skipped, "baselines": base, "model": results[best],
               "rows": {"fit": len(rows.fit), "calibration": len(rows.calibration), "validation": len(rows.validation),
                        "final_fit": len(rows.final)},
               "hgb_iterations": {"evaluation": n_iter.get("hgb"), "final": final_iter if best == "hgb" else None},
               "dropped_features": sorted(set(model_feature_columns(ds)) - set(feat_names) - {"label", "cold"}),
               "btyd_status": ds.attrs.get("btyd_status", {}),
               "customers_total": int(prep.n),
               "customers_sampled": None if keep is None else len(keep)}
    cold = cold_start_table(ds, mcfg) if kind == "churn" else {}
    metrics["cold_start"] = cold
    ncfg = int(cfg.get("drivers", {}).get("sample", 3000))
    vs = cap(rows.validation, ncfg, seed)[["customer_id", *feat_names, "label"]].reset_index(drop=True)
    return ChurnModel(kind=kind, model_kind=best, estimator=final, feature_names=feat_names,
                      categories=ds.attrs["categories"], cutoffs=[str(c.date()) for c in plan.final],
                      validation_cutoff=str(plan.validation.date()), as_of=str(day(as_of).date()),
                      data_hash=data_hash(data, end), metrics=metrics, config=cfg, cold_start=cold,
                      validation_sample=vs, trained_at=now(), fallback_reason="; ".join(skipped.values()))


def _plan(cuts: list[pd.Timestamp], mcfg: Mapping, kind: str) -> tuple[_Plan | None, str]:
    """Validation = the latest labelled cutoff; the pool = cutoffs whose label window ends before it.
    (None, reason) when the pool is shorter than ``min_training_cutoffs``."""
    horizon = int(mcfg.get("horizon_days", 90))
    val_c = cuts[-1] if cuts else None
    pool = [c for c in cuts if c + pd.Timedelta(days=horizon) <= val_c]
    min_cuts = int(setting(mcfg, "min_training_cutoffs", kind))
    if len(pool) < min_cuts:
        step = int(mcfg.get("cutoff_step_days", 30))
        return None, (f"too_few_cutoffs: {len(pool)} labelled cutoffs end before the validation cutoff "
                      f"(< {min_cuts}; {len(cuts)} labelled in all, horizon {horizon} d, step {step} d)")
    # the final model learns from every labelled cutoff but the validation one
    return _Plan(fit=pool[:-1], calibration=pool[-1], validation=val_c, final=cuts[:-1]), ""


def _sampled_dataset(prep: PreparedData, plan: _Plan, cfg: dict, kind: str, mcfg: Mapping,
                     seed: int) -> tuple[np.ndarray | None, pd.DataFrame]:
    """(sampled customer codes or None for everybody, their labelled rows at every cutoff of the plan)."""
    # the tables are decoded once; the customer sample keeps customers x final cutoffs within train_sample
    per_cut = max(1000, int(mcfg.get("train_sample", 150000)) // max(1, len(plan.final)))
    # only customers known before the validation cutoff can have a row at any labelled cutoff
    keep = sample_codes(prep, per_cut, seed, mcfg.get("train_strata", "first_seen_month"),
                        eligible=prep.first_ns < cut_ns(plan.validation))
    sprep = prep if keep is None else prep.subset(keep)
    # validation cutoff first: it fixes the category-mix columns for every cutoff
    return keep, labelled_dataset(sprep, [plan.validation, *plan.final], cfg, kind, None, mcfg)


def _rows(ds: pd.DataFrame, plan: _Plan, mcfg: Mapping, seed: int) -> _Rows:
    pop = (ds["cold"] == 0).to_numpy()
    cut_col = ds["cutoff"].to_numpy()
    full_val = ds[pop & (cut_col == plan.validation)]
    return _Rows(fit=ds[pop & ds["cutoff"].isin(plan.fit).to_numpy()],
                 calibration=ds[pop & (cut_col == plan.calibration)],
                 full_validation=full_val,
                 validation=cap(full_val, int(mcfg.get("validation_sample", 50000)), seed),
                 final=ds[pop & ds["cutoff"].isin(plan.final).to_numpy()])


def _data_problem(rows: _Rows, mcfg: Mapping, kind: str) -> str:
    """'' when the rows support the learned model, else the first reason ``code: detail``."""
    min_rows = int(mcfg.get("min_rows", 200))
    min_pos, min_neg = int(setting(mcfg, "min_positives", kind)), int(setting(mcfg, "min_negatives", kind))
    min_eval = int(setting(mcfg, "min_eval_class_rows", kind))
    return (f"too_few_rows: {len(rows.fit)} fit rows (< {min_rows})" if len(rows.fit) < min_rows else ""
            ) or class_problem("fit", rows.fit["label"].to_numpy(), min_pos, min_neg) \
        or class_problem("calibration", rows.calibration["label"].to_numpy(), min_eval, min_eval) \
        or class_problem("validation", rows.validation["label"].to_numpy(), min_eval, min_eval)


def _evaluate(candidates: list[str], rows: _Rows, feat_names: list[str], mcfg: Mapping, kind: str,
              seed: int) -> tuple[dict[str, dict], dict[str, int], str]:
    """Each candidate fitted on the fit rows, calibrated on the calibration cutoff and scored on the
    validation one; -> (metrics by candidate, boosting iterations, calibration method)."""
    yv = rows.validation["label"].to_numpy()
    results: dict[str, dict] = {}
    n_iter: dict[str, int] = {}
    cal_method = calibration_method(mcfg.get("calibration", "isotonic"), len(rows.calibration), mcfg, kind)
    for name in candidates:
        est = fit_candidate(name, rows.fit, feat_names, seed, mcfg.get("hgb", {}))
        n_iter[name] = int(getattr(est, "n_iter_", 0) or 0)
        cal = calibrate(est, rows.calibration[feat_names], rows.calibration["label"].to_numpy(), cal_method)
        results[name] = evaluate_scores(yv, cal.predict_proba(rows.validation[feat_names])[:, 1])
    return results, n_iter, cal_method
