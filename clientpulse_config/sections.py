"""Typed sections: one pydantic model per file in ``config/``.

The models hold types and value checks only, never values: every key is required because the
merge always starts from the shipped file, which is the one place defaults are written. A key
marked optional (``| None = None``) is one the shipped file sets for some entries only (a rule's
``regex``, a source's ``signatures``): leaving it out has a meaning in the code that reads it.
Mappings whose keys users extend (competitors, typo domains, header synonyms) are typed dicts;
everything else forbids unknown keys so a typo is reported instead of silently ignored.
"""

from __future__ import annotations

import codecs
import datetime as dt
import re
from typing import Annotated, Any, Literal, get_args

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator


class Section(BaseModel):
    """Strict (YAML already has types: ``"0.9"`` is no number) and closed to unknown keys."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, populate_by_name=True)


def _regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"not a valid regular expression: {exc}") from None
    return value


def _codec(value: str) -> str:
    try:
        codecs.lookup(value)
    except LookupError:
        raise ValueError(f"unknown text encoding {value!r}") from None
    return value


def _iso_date(value: str | dt.date) -> str | dt.date:
    if isinstance(value, str):
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"must be a date YYYY-MM-DD, got {value!r}") from None
    return value


def _ascending(values: list) -> list:
    if any(b < a for a, b in zip(values, values[1:])):
        raise ValueError(f"must be in ascending order, got {values}")
    return values


def _in_order(model: BaseModel, *fields: str, strict: bool = True) -> BaseModel:
    """Cross-field check: the named values must rise (``strict``) or not fall, in this order."""
    values = [getattr(model, f) for f in fields]
    if not all(a < b if strict else a <= b for a, b in zip(values, values[1:])):
        got = ", ".join(f"{f}={v}" for f, v in zip(fields, values))
        raise ValueError(f"must hold: {(' < ' if strict else ' <= ').join(fields)} (got {got})")
    return model


def _known(names: Any, known: Any, what: str) -> None:
    """Cross-reference check: every name must be one of ``known`` (e.g. a comparison that exists)."""
    known = {str(k) for k in known}
    unknown = sorted({str(n) for n in names} - known)
    if unknown:
        raise ValueError(f"{what}: {', '.join(unknown)} not among {', '.join(sorted(known))}")


def _unique(values: list) -> list:
    dupes = sorted({str(v) for v in values if values.count(v) > 1})
    if dupes:
        raise ValueError(f"duplicate entries: {', '.join(dupes)}")
    return values


Share = Annotated[float, Field(ge=0, le=1)]
PositiveShare = Annotated[float, Field(gt=0, le=1)]
PositiveInt = Annotated[int, Field(gt=0)]
Count = Annotated[int, Field(ge=0)]
PositiveFloat = Annotated[float, Field(gt=0)]
NonNegativeFloat = Annotated[float, Field(ge=0)]
Regex = Annotated[str, AfterValidator(_regex)]
Codec = Annotated[str, AfterValidator(_codec)]
IsoDate = Annotated[str | dt.date, AfterValidator(_iso_date)]
NonEmptyStr = Annotated[str, Field(min_length=1)]
Language = Literal["ru", "en"]


# ---------------------------------------------------------------- analytics.yaml (dbt vars)
VerdictStage = Literal["active", "at_risk", "potential_churn"]  # churned: only from the lifecycle


class Verdict(Section):
    """One risk verdict per customer (marts.customer_verdict, docs/methods.md "Risk verdict")."""

    lifecycle_stage: dict[Literal["hot_inactive", "sleeping", "near_death", "dead"],
                          Literal["active", "at_risk", "potential_churn", "churned"]]
    engaged_within_days: PositiveInt
    engaged_min_contacts: PositiveInt
    engaged_cap_stage: VerdictStage
    one_time_after_days: PositiveInt
    churn_at_risk: Share
    churn_potential_churn: Share
    toxicity_at_risk: Share
    health_band_stage: dict[Literal["healthy", "watch", "at_risk", "critical"], VerdictStage]
    factor_stage: dict[NonEmptyStr, VerdictStage]
    red_flag_min_level: Annotated[int, Field(ge=1, le=5)]
    phone_from_level: Annotated[int, Field(ge=1, le=6)]
    max_reasons: PositiveInt

    @model_validator(mode="after")
    def _churn_order(self):
        return _in_order(self, "churn_at_risk", "churn_potential_churn", strict=False)


Thresholds4 = Annotated[list[float], Field(min_length=4, max_length=4), AfterValidator(_ascending)]
Score = Annotated[int, Field(ge=1, le=5)]
ScoreMode = Literal["quantile", "fixed"]


class Analytics(Section):
    rfm_score_mode: ScoreMode
    rfm_recency_thresholds: Thresholds4
    rfm_frequency_thresholds: Thresholds4
    rfm_monetary_thresholds: Thresholds4
    rfcm_rate_window_days: PositiveInt
    rfcm_cr_score_mode: ScoreMode
    rfcm_complaint_thresholds: Thresholds4
    rfcm_resource_thresholds: Thresholds4
    rfcm_email_minutes_outbound: NonNegativeFloat
    rfcm_email_minutes_inbound: NonNegativeFloat
    rfcm_returns_are_complaints: bool
    rfcm_alarm_share: Share
    rfcm_alarm_score_below: Score
    rfcm_value_high_min: Score
    rfcm_value_low_max: Score
    rfcm_toxic_score_max: Score
    rfcm_shrinkage_prior_months: NonNegativeFloat
    rfcm_toxic_min_tenure_days: Annotated[int, Field(ge=0)]
    cycle_shrinkage_k: NonNegativeFloat
    cycle_min_category_gaps: PositiveInt
    cycle_default_days: PositiveInt
    cycle_min_days: PositiveInt
    cycle_tolerance: NonNegativeFloat
    cycle_near_death_cycles: PositiveFloat
    dead_after_days: PositiveInt
    dead_after_cycles: PositiveFloat
    dead_silence_days: PositiveInt
    dead_min_days: PositiveInt
    dead_own_cycles: PositiveFloat
    dead_frequent_purchases: PositiveInt
    category_cycle_days: dict[NonEmptyStr, PositiveFloat]
    hot_window_days: PositiveInt
    trigger_product_views_min: PositiveInt
    value_tier_cuts: Annotated[list[Share], Field(min_length=3, max_length=3), AfterValidator(_ascending)]
    action_period_days: PositiveInt
    verdict: Verdict
    lists_goodbye_wait_days: PositiveInt
    lists_opened_in_row: PositiveInt
    lists_toxic_min_tenure_days: PositiveInt
    lists_toxic_min_complaints: PositiveInt
    lists_toxic_probability_min: Share
    kpi_manager_hour_cost_rub: NonNegativeFloat
    kpi_cost_window_days: PositiveInt
    kpi_churn_window_short_days: PositiveInt
    kpi_churn_window_long_days: PositiveInt
    kpi_warning_lead_days: Annotated[list[PositiveInt], Field(min_length=2, max_length=2), AfterValidator(_ascending)]
    dq_birth_date_min: IsoDate
    dq_max_age_years: PositiveInt

    @model_validator(mode="after")
    def _value_levels(self):
        return _in_order(self, "rfcm_value_low_max", "rfcm_value_high_min")

    @model_validator(mode="after")
    def _kpi_windows(self):
        return _in_order(self, "kpi_churn_window_short_days", "kpi_churn_window_long_days")

    @model_validator(mode="after")
    def _dead_horizon(self):
        return _in_order(self, "dead_min_days", "dead_after_days", strict=False)


# ---------------------------------------------------------------- crm_export.yaml
class ExportTarget(Section):
    file: NonEmptyStr
    encoding: Codec
    delimiter: Annotated[str, Field(min_length=1, max_length=1)]
    date_format: NonEmptyStr
    list_separator: str
    id_files: Annotated[list[NonEmptyStr], Field(min_length=1)]
    multi_value_separator: NonEmptyStr
    columns: Annotated[dict[str, NonEmptyStr], Field(min_length=1)]


class ExportTags(Section):
    segment: str
    risk_stage: dict[Literal["active", "at_risk", "potential_churn", "churned"], str]
    action_level: str
    dq_flag: str


class MergeList(Section):
    file: NonEmptyStr
    encoding: Codec
    delimiter: Annotated[str, Field(min_length=1, max_length=1)]
    columns: Annotated[dict[str, Literal["customer_id", "survivor_crm_id", "merged_crm_id", "rule", "crm",
                                         "full_name", "phone_e164", "email", "manager"]], Field(min_length=1)]


class ListWorkbooks(Section):
    dir: NonEmptyStr
    unassigned: NonEmptyStr
    date_format: NonEmptyStr
    max_column_width: Annotated[int, Field(ge=8, le=255)]
    workers: Annotated[int, Field(ge=0, le=64)] = 0
    parallel_min_rows: Annotated[int, Field(ge=0)] = 50000
    csv_encoding: Codec
    csv_delimiter: Annotated[str, Field(min_length=1, max_length=1)]
    sheets: Annotated[dict[NonEmptyStr, Annotated[str, Field(min_length=1, max_length=31)]], Field(min_length=1)]
    list_columns: Annotated[dict[NonEmptyStr, NonEmptyStr], Field(min_length=1)]
    today_columns: Annotated[dict[NonEmptyStr, NonEmptyStr], Field(min_length=1)]


class CrmExport(Section):
    include_unreachable: bool
    include_without_name: bool
    crm_source: NonEmptyStr
    tags: ExportTags
    merge_list: MergeList
    targets: Annotated[dict[str, ExportTarget], Field(min_length=1)]
    list_workbooks: ListWorkbooks


# ---------------------------------------------------------------- data_standard.yaml
RuleType = Literal["not_null", "unique", "regex", "in_set", "between", "not_future", "fill_rate",
                   "fill_rate_by", "coverage", "row_count"]
Bound = float | IsoDate
_RULE_NEEDS = {"regex": ("column", "regex"), "in_set": ("column", "values"), "fill_rate_by": ("column", "by"),
               "coverage": ("columns",), "row_count": ()}


class StandardRule(Section):
    name: NonEmptyStr
    type: RuleType
    severity: Literal["error", "warn"]
    column: str | None = None
    columns: list[str] | None = None
    regex: Regex | None = None
    values: list[Any] | None = None
    min: Bound | None = None
    max: Bound | None = None
    by: str | None = None
    mostly: Share | None = None

    @model_validator(mode="after")
    def _fields_of_type(self):
        missing = [f for f in _RULE_NEEDS.get(self.type, ("column",)) if getattr(self, f) is None]
        if missing:
            raise ValueError(f"a {self.type} rule needs {' and '.join(missing)}")
        return self


class StandardTable(Section):
    id_column: NonEmptyStr
    rules: list[StandardRule]

    @model_validator(mode="after")
    def _unique_names(self):
        _unique([r.name for r in self.rules])
        return self


class DataStandard(Section):
    tables: dict[str, StandardTable]


# ---------------------------------------------------------------- health.yaml
class Factor(Section):
    points: NonNegativeFloat
    per_event: bool | None = None
    max_events: PositiveInt | None = None

    @model_validator(mode="after")
    def _per_event_cap(self):
        if self.per_event and self.max_events is None:
            raise ValueError("a per_event factor needs max_events")
        return self


class BillingTicketsFactor(Factor):
    min_share: Share
    min_tickets: PositiveInt


class SlowResolutionFactor(Factor):
    hours: PositiveFloat


class ToneDropFactor(Factor):
    min_drop: PositiveFloat


class TemplatedRepliesFactor(Factor):
    min_share: Share
    min_replies: PositiveInt


class HealthFactors(Section):
    negative_tone: Factor
    price_complaint: Factor
    silence_30: Factor
    silence_90: Factor
    ultimatum: Factor
    data_export: Factor
    competitor: Factor
    passive_aggression: Factor
    billing_complaint: Factor
    refund_request: Factor
    reopen_rate: Factor
    billing_tickets: BillingTicketsFactor
    slow_resolution: SlowResolutionFactor
    formalisation: Factor
    tone_drop: ToneDropFactor
    unanswered: Factor
    templated_replies: TemplatedRepliesFactor


def _factor_keys(value: dict) -> dict:
    _known(value, HealthFactors.model_fields, "unknown factor")
    return value


PerFactor = Annotated[dict[str, str], AfterValidator(_factor_keys)]


class HealthBands(Section):
    healthy: Annotated[float, Field(ge=0, le=100)]
    watch: Annotated[float, Field(ge=0, le=100)]
    at_risk: Annotated[float, Field(ge=0, le=100)]

    @model_validator(mode="after")
    def _descending(self):
        return _in_order(self, "at_risk", "watch", "healthy")


RiskStage = Literal["active", "at_risk", "potential_churn", "churned"]


class AlertSilence(Section):
    reason_codes: list[NonEmptyStr]
    still_buying_holds: list[NonEmptyStr]
    rhythm_multiplier: PositiveFloat
    min_rhythm_gaps: PositiveInt
    win_back_after_days: PositiveInt


class AlertRoute(Section):
    webhook: NonEmptyStr
    kind: Literal["slack", "telegram"] = "slack"
    chat_id: str | int | None = None

    @model_validator(mode="after")
    def _telegram_chat(self):
        if self.kind == "telegram" and self.chat_id is None:
            raise ValueError("a telegram route needs chat_id")
        return self


class AlertTeam(AlertRoute):
    members: Annotated[list[NonEmptyStr], Field(min_length=1)]


class AlertRouting(Section):
    managers: dict[str, AlertRoute]
    teams: dict[str, AlertTeam]


class HealthAlerts(Section):
    stage_order: Annotated[list[RiskStage], AfterValidator(_unique)]
    risk_stages: Annotated[list[RiskStage], Field(min_length=1), AfterValidator(_unique)]
    severity: dict[RiskStage, str]
    daily_budget_per_manager: PositiveInt
    digest_top_n: Count
    max_reasons: PositiveInt
    max_playbooks: Count
    no_manager: NonEmptyStr
    pii: Literal["mask", "full"]
    customer_url: str
    silence: AlertSilence
    routing: AlertRouting
    stage_labels: dict[Language, dict[RiskStage, str]]
    message_template: dict[Language, str]
    digest_template: dict[Language, str]
    over_budget_note: dict[Language, str]

    @model_validator(mode="after")
    def _stages_known(self):
        _known(self.risk_stages, self.stage_order, "alerts.risk_stages")
        _known(self.risk_stages, self.severity, "alerts.risk_stages without a severity")
        return self


ReplyChannel = Literal["mail", "chat", "call", "ticket"]


class ReplyMinHash(Section):
    enabled: bool
    shingle_words: PositiveInt
    bands: PositiveInt
    rows: PositiveInt


class BusinessHours(Section):
    enabled: bool
    start_hour: Annotated[int, Field(ge=0, le=23)]
    end_hour: Annotated[int, Field(ge=1, le=24)]
    weekdays: Annotated[list[Annotated[int, Field(ge=1, le=7)]], Field(min_length=1)]

    @model_validator(mode="after")
    def _hours_in_order(self):
        if self.start_hour >= self.end_hour:
            raise ValueError("start_hour must be before end_hour")
        return self


class Replies(Section):
    inbound_channels: Annotated[list[ReplyChannel], Field(min_length=1)]
    reply_channels: Annotated[list[ReplyChannel], Field(min_length=1)]
    threaded_channels: list[ReplyChannel]
    unanswered_hours: PositiveFloat
    window_days: PositiveInt
    template_min_count: Annotated[int, Field(ge=2)]
    template_min_words: PositiveInt
    minhash: ReplyMinHash
    business_hours: BusinessHours


class Health(Section):
    risk_cap: PositiveFloat
    bands: HealthBands
    factors: HealthFactors
    top_reasons: Count
    reasons_language: Language
    reason_templates: dict[Language, PerFactor]
    playbooks: PerFactor
    window_days: PositiveInt
    replies: Replies
    alerts: HealthAlerts

    @model_validator(mode="after")
    def _language_present(self):
        _known([self.reasons_language], self.reason_templates, "reasons_language has no reason_templates")
        for texts in ("message_template", "digest_template", "over_budget_note", "stage_labels"):
            _known([self.reasons_language], getattr(self.alerts, texts), f"reasons_language has no alerts.{texts}")
        return self


# ---------------------------------------------------------------- identity.yaml
class IdentityKey(Section):
    column: NonEmptyStr
    type: NonEmptyStr
    priority: int


class HubCap(Section):
    max_distinct_names: PositiveInt | None
    max_distinct_contacts: PositiveInt | None
    max_records: PositiveInt | None


class NameGuard(Section):
    key_types: list[str]
    first_name_min_jaro_winkler: Share
    last_name_min_jaro_winkler: Share | None


class Deterministic(Section):
    keys: Annotated[list[IdentityKey], Field(min_length=1)]
    hub_caps: dict[str, HubCap]
    name_guard: NameGuard

    @model_validator(mode="after")
    def _known_types(self):
        _known({*self.hub_caps, *self.name_guard.key_types}, (k.type for k in self.keys),
               "hub_caps / name_guard.key_types name key types no key has")
        return self


class ComparisonLevel(Section):
    sql_condition: NonEmptyStr
    label_for_charts: str | None
    is_null_level: bool | None = None
    m_probability: Share | None = None
    u_probability: Share | None = None
    fix_m_probability: bool | None = None
    fix_u_probability: bool | None = None
    tf_adjustment_column: str | None = None
    tf_adjustment_weight: NonNegativeFloat | None = None
    tf_minimum_u_value: Share | None = None


class Comparison(Section):
    output_column_name: NonEmptyStr
    comparison_levels: Annotated[list[ComparisonLevel], Field(min_length=2)]


class HouseholdGuard(Section):
    enabled: bool
    first_name_min_jaro_winkler: Share
    personal_comparisons: list[str]


class SplinkIncremental(Section):
    enabled: bool
    max_dirty_share: Share
    retrain_after_days: Count


class Splink(Section):
    enabled: bool
    min_records_for_training: Count
    match_threshold: Share
    review_threshold: Share
    predict_threshold: Share
    max_pairs_u: PositiveFloat
    seed: int
    probability_two_random_records_match: PositiveShare | None
    prior_deterministic_rules: list[NonEmptyStr]
    prior_recall: PositiveShare
    fallback_probability_two_random_records_match: PositiveShare
    value_caps: dict[str, PositiveInt]
    household_guard: HouseholdGuard
    em_min_pairs: PositiveInt
    em_training_blocks: list[NonEmptyStr]
    em_max_pairs: PositiveInt
    memory_share: PositiveShare
    incremental: SplinkIncremental
    blocking_rules: Annotated[list[NonEmptyStr], Field(min_length=1)]
    comparisons: Annotated[list[Comparison], Field(min_length=1)]

    @model_validator(mode="after")
    def _consistent(self):
        _in_order(self, "predict_threshold", "review_threshold", "match_threshold", strict=False)
        names = [c.output_column_name for c in self.comparisons]
        _unique(names)
        _known(self.household_guard.personal_comparisons, names,
               "household_guard.personal_comparisons name no comparison")
        return self


class Decisions(Section):
    path: str | None


class StableIds(Section):
    prefix: str
    width: PositiveInt
    max_changed_share: Share


Criterion = Literal["valid", "most_frequent", "most_recent", "source_priority"]
Criteria = Annotated[list[Criterion], AfterValidator(_unique)]


class SurvivorshipRules(Section):
    name: Criteria
    phone: Criteria
    email: Criteria
    birth_date: Criteria
    address: Criteria
    city: Criteria
    company: Criteria
    manager: Criteria


class Survivorship(Section):
    source_priority: dict[str, int]
    rules: SurvivorshipRules


class ReviewQueue(Section):
    # pairs a person reviews per run (the rest keep the model's decision and score); 0 = no queue
    daily_cap: Count
    # uncertainty of a pair the household guard held back although the model says match
    guarded_uncertainty: Share


class IdentitySpark(Section):
    master: NonEmptyStr
    shuffle_partitions: PositiveInt
    driver_memory: NonEmptyStr
    num_partitions: PositiveInt
    break_lineage_method: Literal["parquet", "persist", "checkpoint", "delta_lake_files", "delta_lake_table"]
    checkpoint_dir: str | None


class Identity(Section):
    backend: Literal["duckdb", "spark"]
    spark: IdentitySpark
    deterministic: Deterministic
    splink: Splink
    decisions: Decisions
    review: ReviewQueue
    ids: StableIds
    survivorship: Survivorship


# ---------------------------------------------------------------- models.yaml
class Btyd(Section):
    enabled: bool
    fit_sample: PositiveInt
    horizon_days: PositiveInt
    min_repeaters: Count


class Features(Section):
    rate_window_days: PositiveInt
    engagement_windows: Annotated[list[PositiveInt], Field(min_length=1), AfterValidator(_unique)]
    tone_recent_days: PositiveInt
    complaints_include_returns: bool
    category_top_n: PositiveInt
    btyd: Btyd


class HistGradientBoosting(Section):
    max_iter: PositiveInt
    learning_rate: PositiveFloat
    max_leaf_nodes: Annotated[int, Field(ge=2)]
    min_samples_leaf: PositiveInt
    l2_regularization: NonNegativeFloat
    n_iter_no_change: PositiveInt
    validation_fraction: Annotated[float, Field(gt=0, lt=1)]


class ModelTask(Section):
    """What churn and toxicity share: cutoffs, sampling, candidates and the fallback floors."""

    horizon_days: PositiveInt
    cutoff_step_days: PositiveInt
    n_cutoffs: PositiveInt
    train_sample: PositiveInt
    train_strata: Literal["first_seen_month", "none"]
    validation_sample: PositiveInt
    calibration: Literal["isotonic", "sigmoid"]
    candidates: Annotated[list[Literal["hgb", "logreg"]], Field(min_length=1), AfterValidator(_unique)]
    selection_metric: Literal["roc_auc", "pr_auc"]
    min_rows: Count
    min_training_cutoffs: PositiveInt
    min_positives: Count
    min_negatives: Count
    min_eval_class_rows: Count
    hgb_min_rows: Count
    min_calibration_rows: Count
    isotonic_min_rows: Count
    hgb: HistGradientBoosting


class Churn(ModelTask):
    cold_start_default: Share


class Toxicity(ModelTask):
    quantile: Annotated[float, Field(gt=0, lt=1)]
    min_complaints_per_month: NonNegativeFloat
    min_manager_minutes_per_month: NonNegativeFloat


class Drivers(Section):
    sample: PositiveInt
    n_repeats: PositiveInt
    min_segment_rows: PositiveInt
    top_n: PositiveInt


class ModelStore(Section):
    dir: NonEmptyStr
    retrain_every_days: PositiveInt


class FactRange(Section):
    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _ordered(self):
        if self.min is not None and self.max is not None:
            _in_order(self, "min", "max", strict=False)
        return self


class NamingRule(Section):
    name_ru: NonEmptyStr
    name_en: NonEmptyStr
    when: dict[str, Literal["high", "low"]]
    facts: dict[str, FactRange] | None = None  # ranges of the members' median / mean; some rules only


class NoPurchaseSegment(Section):
    enabled: bool
    name_ru: NonEmptyStr
    name_en: NonEmptyStr


class Clusters(Section):
    algorithm: Literal["kmeans", "agglomerative"]
    k_min: PositiveInt
    k_max: PositiveInt
    sample: PositiveInt
    silhouette_sample: PositiveInt
    min_cluster_size: PositiveInt
    language: Language
    max_match_distance: PositiveFloat
    high: float
    low: float
    features: Annotated[list[NonEmptyStr], Field(min_length=1), AfterValidator(_unique)]
    log_features: Annotated[list[NonEmptyStr], AfterValidator(_unique)]
    max_cluster_share: Annotated[float, Field(gt=0, le=1)]
    no_purchase_segment: NoPurchaseSegment
    naming_rules: list[NamingRule]

    @model_validator(mode="after")
    def _consistent(self):
        _in_order(self, "k_min", "k_max", strict=False)
        _in_order(self, "low", "high")
        named = set(self.log_features).union(*(r.when for r in self.naming_rules))
        _known(named, self.features, "log_features / naming_rules use features not in `features`")
        return self


class ModelFloor(Section):
    roc_auc: Share | None = None
    pr_auc: Share | None = None


class OutputChecks(Section):
    min_coverage: Share
    floors: dict[Literal["churn", "toxicity"], ModelFloor]


class Models(Section):
    random_state: int
    n_threads: PositiveInt | None
    features: Features
    churn: Churn
    toxicity: Toxicity
    drivers: Drivers
    model_store: ModelStore
    clusters: Clusters
    output_checks: OutputChecks


# ---------------------------------------------------------------- normalization.yaml
class Phones(Section):
    default_region: Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
    min_digits: PositiveInt
    max_digits: PositiveInt
    max_same_digit_run: PositiveInt
    sequence_min_length: PositiveInt
    subscriber_sequence_digits: PositiveInt
    subscriber_sequence_regions: list[Annotated[str, Field(pattern=r"^[A-Z]{2}$")]]
    placeholders: list[Annotated[str, Field(pattern=r"^\d+$")]]
    toll_free_prefixes: list[Annotated[str, Field(pattern=r"^\d+$")]]
    mobile_first_digits: list[Annotated[str, Field(pattern=r"^\d$")]]
    landline_first_digits: list[Annotated[str, Field(pattern=r"^\d$")]]
    extension_pattern: Regex
    multi_separators: list[NonEmptyStr]

    @model_validator(mode="after")
    def _digits(self):
        return _in_order(self, "min_digits", "max_digits", strict=False)


class TypoDomain(Section):
    """``{to, action}``; the short form ``typo: domain`` and a missing action mean ``fix``."""

    to: NonEmptyStr
    action: Literal["fix", "suggest"] | None = None

    @model_validator(mode="before")
    @classmethod
    def _short_form(cls, value: Any) -> Any:
        return {"to": value} if isinstance(value, str) else value


class KeyRule(Section):
    strip_dots: bool | None = None
    strip_plus_tag: bool | None = None
    dash_equals_dot: bool | None = None


class Emails(Section):
    typo_domains: dict[str, TypoDomain]
    popular_domains: list[str]
    key_domain_aliases: dict[str, str]
    key_rules: dict[str, KeyRule]
    junk_addresses: list[str]
    junk_local_parts: list[str]
    placeholder_local_parts: list[str]
    junk_domains: list[str]
    junk_digit_local_max_len: Count
    junk_repeated_char_local: bool
    role_local_parts: list[str]


class Names(Section):
    placeholder_phrases: list[str]
    placeholder_words: list[str]
    test_words: list[str]
    company_markers: list[str]
    min_letters: PositiveInt
    animals: list[str]
    adjective_endings: list[str]
    patronymic_suffixes: list[str]
    surname_suffixes: list[str]
    diminutives_file: NonEmptyStr
    diminutives: dict[str, str] | None = None  # optional inline {diminutive: canonical} over the file
    extra_first_names: list[str]


class Normalization(Section):
    phones: Phones
    emails: Emails
    names: Names


# ---------------------------------------------------------------- pipeline.yaml
def _timezone(value: str) -> str:
    import zoneinfo

    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r} (an IANA name such as Europe/Moscow)") from None
    return value


class PipelineAsOf(Section):
    first_partition: IsoDate
    timezone: Annotated[str, AfterValidator(_timezone)]


class Schedule(Section):
    hour_of_day: Annotated[int, Field(ge=0, le=23)]
    minute_of_hour: Annotated[int, Field(ge=0, le=59)]


class Freshness(Section):
    warn_after_hours: PositiveInt
    fail_after_hours: PositiveInt

    @model_validator(mode="after")
    def _ordered(self):
        return _in_order(self, "warn_after_hours", "fail_after_hours")


class RunGuard(Section):
    # a second run on the same warehouse waits this long for the lock holder, then exits non-zero
    lock_wait_seconds: NonNegativeFloat
    lock_poll_seconds: PositiveFloat
    # after SIGINT / SIGTERM a step stuck in native code is cut off after this many seconds
    cancel_grace_seconds: PositiveFloat


class WarehouseMemory(Section):
    # a DuckDB size ("5GB", "512MB") or a share of the machine ("60%")
    memory_limit: Annotated[str, Field(pattern=r"^\s*\d+(\.\d+)?\s*(%|[KMGT]i?B)\s*$")]


class Pipeline(Section):
    as_of: PipelineAsOf
    schedule: Schedule
    warehouse: WarehouseMemory
    run: RunGuard
    freshness: Freshness


# ---------------------------------------------------------------- serving.yaml
class Serving(Section):
    schemas: Annotated[list[NonEmptyStr], Field(min_length=1)]
    storage_version: Annotated[str, Field(pattern=r"^v\d+\.\d+\.\d+$")] | None
    comments: bool


# ---------------------------------------------------------------- report.yaml
class ReportConfig(Section):
    language: Literal["ru", "en"]
    top_n: PositiveInt


# ---------------------------------------------------------------- signals.yaml
#: Risk markers per message, in output-column order; ``competitor`` is found by `competitors`,
#: the others by the regex lists in `markers`.
Marker = Literal["passive_aggressive", "ultimatum", "competitor", "data_export",
                 "price_complaint", "billing_complaint", "refund_request", "sarcasm"]
SIGNAL_MARKERS: tuple[str, ...] = get_args(Marker)
RegexMarker = Literal[tuple(m for m in SIGNAL_MARKERS if m != "competitor")]  # type: ignore[valid-type]
Valence = Annotated[float, Field(ge=-4, le=4)]
Tone = Annotated[float, Field(ge=-1, le=1)]


def _has_name_slot(patterns: list[str]) -> list[str]:
    bad = [p for p in patterns if p.count("{name}") != 1]
    if bad:
        raise ValueError(f"each construction needs exactly one {{name}} slot: {bad}")
    return patterns


class LanguageDetection(Section):
    min_letters: PositiveInt
    cyrillic_share_ru: Share


class ToneConfig(Section):
    negative_below: Tone
    positive_above: Tone
    marker_penalty: dict[Marker, NonNegativeFloat]
    lexicon_extra: dict[str, Valence]
    vader_overrides: dict[str, Valence]

    @model_validator(mode="after")
    def _bands(self):
        return _in_order(self, "negative_below", "positive_above")


class RegisterCues(Section):
    words: dict[str, float]
    phrases: dict[str, float]


class Register(Section):
    formal: RegisterCues
    informal: RegisterCues
    emoticons: Regex
    emoticon_weight: NonNegativeFloat


class Trends(Section):
    window_days: PositiveInt
    missing_direction_is_inbound: bool
    min_messages_for_tone: PositiveInt
    formal_share: Share
    silence_days: Annotated[list[PositiveInt], Field(min_length=2, max_length=2), AfterValidator(_ascending)]
    min_prior_contacts: Count
    evidence_per_marker: Count


class Tickets(Section):
    window_days: PositiveInt
    recent_days: PositiveInt
    reopen_rate_flag: Share
    min_tickets_for_rate: PositiveInt
    billing_categories: list[str]


class Llm(Section):
    enabled: bool
    base_url: str
    model: str
    api_key_env: str | None
    timeout: PositiveFloat
    max_messages: PositiveInt

    @model_validator(mode="after")
    def _usable(self):
        if self.enabled and not (self.base_url and self.model):
            raise ValueError("llm.enabled needs base_url and model")
        return self


class CompetitorPatterns(Section):
    """Competitors found by construction (ml/signals/competitors.py)."""
    enabled: bool
    own_names: list[NonEmptyStr]
    legal_forms: list[NonEmptyStr]
    max_name_words: PositiveInt
    stop_words: list[NonEmptyStr]
    stop_pattern: Regex | None
    kind_penalty: dict[NonEmptyStr, NonNegativeFloat]
    constructions: dict[NonEmptyStr, Annotated[list[Regex], AfterValidator(_has_name_slot)]]


class Sarcasm(Section):
    """Quoted-claim and framed-praise rules of ml/signals/sarcasm.py."""
    quoted_claim: Regex
    naming_words: Regex
    naming_window_chars: Count
    mixed_punctuation: bool
    max_quoted_words: PositiveInt
    framed_openers: list[Regex]
    negative_frame: Annotated[list[Regex], Field(min_length=1)]


class Signals(Section):
    language: LanguageDetection
    tone: ToneConfig
    competitors: dict[NonEmptyStr, list[Regex]]
    competitor_generic: list[Regex]
    competitor_generic_name: NonEmptyStr
    competitor_patterns: CompetitorPatterns
    sarcasm: Sarcasm
    negation_window_chars: Count
    negatable: Annotated[list[Marker], AfterValidator(_unique)]
    markers: dict[RegexMarker, list[Regex]]
    markers_extra: dict[RegexMarker, list[Regex]]
    register_: Register = Field(alias="register")  # `register` is taken by the pydantic base
    trends: Trends
    tickets: Tickets
    n_jobs: Literal["auto"] | int
    parallel_min_rows: PositiveInt
    vader_cache_size: PositiveInt
    norm_cache_size: PositiveInt
    llm: Llm

    @model_validator(mode="after")
    def _every_marker_has_patterns(self):
        _known(get_args(RegexMarker), self.markers, "markers without a pattern list (an empty list turns one off)")
        return self


# ---------------------------------------------------------------- sources.yaml
SourceName = Literal["crm_contacts", "crm_orders", "mail_messages", "phone_calls", "support_tickets",
                     "marketing_events", "actions_log", "chat_messages"]
Terms = list[str]


class TokenRule(Section):
    all: Annotated[list[Terms | str], Field(min_length=1)]
    not_: Terms | None = Field(default=None, alias="not")


class SourceBlock(Section):
    folder: NonEmptyStr
    patterns: Annotated[list[NonEmptyStr], Field(min_length=1)]
    name_hints: list[str]
    columns: dict[str, list[str]]
    signatures: list[Annotated[list[str], Field(min_length=1)]] | None = None
    surrogate_id: Literal["none", "content_hash"]
    surrogate_for_empty_ids: bool | None = None
    duplicate_ids: Literal["line_items", "reject"] | None = None
    contact_columns: list[str] | None = None
    header_tokens: dict[str, TokenRule] | None = None


class Mail(Section):
    company_domains: list[str]
    strip_quotes: bool
    strip_signatures: bool
    max_body_chars: PositiveInt
    max_header_chars: PositiveInt
    max_raw_chars: PositiveInt


class Chat(Section):
    """The company's own chat accounts: their messages are outbound."""

    company_usernames: list[str]
    company_phones: list[str]
    company_names: list[str]
    whatsapp_slash_dates: Literal["auto", "day_first", "month_first"]


class VolumeGuard(Section):
    """A file far bigger than its source's earlier files is held (data_quality/landing/volume.py)."""

    enabled: bool
    max_ratio: Annotated[float, Field(gt=1, strict=False)]
    min_bytes: Count
    min_rows: Count
    first_file_max_bytes: PositiveInt | None
    first_file_max_rows: PositiveInt | None


class Reading(Section):
    sample_bytes: PositiveInt
    field_size_limit: PositiveInt
    fallback_encodings: list[Codec]
    volume_guard: VolumeGuard


class Sources(Section):
    mail: Mail
    chat: Chat
    reading: Reading
    token_words: dict[str, Terms]
    sources: dict[SourceName, SourceBlock]


#: file name -> its model; `validate_all` reports a shipped file that is missing here.
SECTIONS: dict[str, type[Section]] = {
    "analytics.yaml": Analytics,
    "crm_export.yaml": CrmExport,
    "data_standard.yaml": DataStandard,
    "health.yaml": Health,
    "identity.yaml": Identity,
    "models.yaml": Models,
    "normalization.yaml": Normalization,
    "pipeline.yaml": Pipeline,
    "report.yaml": ReportConfig,
    "serving.yaml": Serving,
    "signals.yaml": Signals,
    "sources.yaml": Sources,
}
