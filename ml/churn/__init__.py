"""Churn and toxicity models learned from history (no labels needed) and their drivers.

Training discipline (both models); ``end`` = the day after the as-of date (facts are read through it):

* labelled cutoffs ``c_k = end - horizon - k * step`` (k = 0..n_cutoffs-1, cutoffs before the first
  data dropped); the label of a cutoff uses only [c, c + horizon), so every label is fully observed;
* **validation** = the latest labelled cutoff ``c_0``; the **training pool** = cutoffs whose label
  window ends on or before ``c_0`` (no overlap with the validation labels);
* evaluation stage: candidates (HistGradientBoosting, LogisticRegression) are fitted on the pool
  minus its latest cutoff, calibrated (isotonic, or sigmoid on fewer than ``isotonic_min_rows``;
  the fitted candidate is not refitted) on that latest pool cutoff, and compared on ``c_0`` with baselines (BG/NBD and
  recency for churn, past RFCM C x R for toxicity). ``metrics`` are these out-of-time numbers;
* final model: the chosen candidate refitted on every labelled cutoff but ``c_0`` (the recent cutoffs
  look most like today, which matters on short histories) and calibrated on ``c_0``.

Degrade, don't die: before fitting, the data are checked explicitly (enough training cutoffs, rows,
positives and negatives, both classes in calibration and validation, complaint data for toxicity,
enough rows for HistGradientBoosting). When a check fails, :func:`fallbacks.fallback` builds a documented
simpler method (BG/NBD or recency probability for churn, past C x R / base rate / zero for toxicity)
calibrated on the labelled cutoffs that exist; the method is the model's ``model_kind`` and the
reason its ``fallback_reason`` (docs/methods.md, thresholds in ``config/models.yaml``).

Cost (1M customers in ~1 min on 2 cores): the tables are decoded once (:func:`ml.features.prepare_data`);
training uses a customer sample (``train_sample`` rows of customers x final cutoffs, stratified by
first-seen month, the same customers at every cutoff), each cutoff's features get their own BG/NBD
fit on ``fit_sample`` customers (point in time), HistGradientBoosting stops early on held-out
*customers* (``hgb`` in config); scoring covers every customer.

Churn label: no completed purchase in [c, c + horizon), for customers with >= 1 purchase before c.
Cold start (no purchase yet): an empirical, smoothed rate of "still no purchase within the horizon"
among never-buyers at the labelled cutoffs, by (engaged in last 90 days) x (tenure < 90 days).
Customers with exactly one purchase are scored by the main model (frequency=1, no interval).

Toxicity label: in [c, c + horizon) complaints/month and manager minutes/month both reach the
worst quintile of the population (RFCM C and R scores < 2) and the absolute floors in config.

Modules: ``training`` (the run), ``labels`` (cutoffs, labels, labelled rows), ``sampling``,
``checks``, ``candidates``, ``calibration``, ``metrics``, ``fallbacks``, ``cold_start``, ``scoring``,
``drivers`` (permutation importance), ``model`` (the record).
"""
# models saved before ml.churn became a package name these as ml.churn.Calibrated / ml.churn._signed_log
from .calibration import Calibrated  # noqa: F401
from .candidates import signed_log as _signed_log  # noqa: F401
from .drivers import explain_drivers
from .fallbacks import ScoreModel, recency_probability
from .labels import labelled_cutoffs
from .metrics import evaluate_scores
from .model import ChurnModel
from .scoring import score_churn, score_toxicity
from .training import train_churn, train_toxicity

__all__ = [
    "ChurnModel",
    "ScoreModel",
    "evaluate_scores",
    "explain_drivers",
    "labelled_cutoffs",
    "recency_probability",
    "score_churn",
    "score_toxicity",
    "train_churn",
    "train_toxicity",
]
