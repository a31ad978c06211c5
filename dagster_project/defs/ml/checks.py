"""Asset checks on the ML outputs: score ranges, coverage of every customer, model quality floors.

What each check measures is in `dagster_project.ml_output_checks`; the floors in config/models.yaml
(`output_checks`). None blocks: a failed check shows in the UI and the run goes on (a fallback
model is WARN, a bug such as a probability above 1 is ERROR).
"""

from collections.abc import Iterator

import dagster as dg

from dagster_project.as_of import partition_date
from dagster_project.ml_output_checks import (
    MODEL_OF_TABLE,
    SCORE_TABLES,
    coverage,
    model_quality,
    score_range,
)
from dagster_project.resources import WAREHOUSE_POOL, PipelineSettings, Warehouse


def _result(asset: dg.AssetKey, name: str, outcome) -> dg.AssetCheckResult:
    severity = dg.AssetCheckSeverity.WARN if outcome.warn_only else dg.AssetCheckSeverity.ERROR
    return dg.AssetCheckResult(asset_key=asset, check_name=name, passed=outcome.passed, severity=severity,
                               description=outcome.description, metadata=outcome.metadata)


def _specs(table: str, asset: dg.AssetKey) -> list[dg.AssetCheckSpec]:
    column, low, high = SCORE_TABLES[table]
    what = f"`{column}` in [{low:g}, {high:g}], never NULL" if low is not None else f"`{column}` never NULL"
    specs = [
        dg.AssetCheckSpec("score_range", asset=asset, description=f"{what} (ERROR: a bug, not a data problem)."),
        dg.AssetCheckSpec("covers_every_customer", asset=asset,
                          description="Every customer of core.customers first seen by the as-of date has a row "
                                      "(output_checks.min_coverage in config/models.yaml; WARN below)."),
    ]
    if table in MODEL_OF_TABLE:
        specs.append(dg.AssetCheckSpec(
            "model_quality", asset=asset, additional_deps=[dg.AssetKey(["ml", "model_runs"])],
            description="ml.model_runs for the date: the learned model reaches the validation floors of "
                        "output_checks.floors (ERROR below); a fallback model was used (WARN, with its reason)."))
    return specs


def _build(table: str) -> dg.AssetChecksDefinition:
    asset = dg.AssetKey(["ml", table])
    model = MODEL_OF_TABLE.get(table)

    @dg.multi_asset_check(
        name=f"{table}_output_checks",
        specs=_specs(table, asset),
        pool=WAREHOUSE_POOL,
        description=f"Range, coverage{' and model quality' if model else ''} of ml.{table}.",
    )
    def _check(context: dg.AssetCheckExecutionContext, warehouse: Warehouse,
               settings: PipelineSettings) -> Iterator[dg.AssetCheckResult]:
        as_of = partition_date(context)
        cfg = settings.config("models")["output_checks"]
        with warehouse.connect() as con:
            outcomes = {"score_range": score_range(con, table),
                        "covers_every_customer": coverage(con, table, as_of, float(cfg["min_coverage"]))}
            if model:
                learned = tuple(settings.config("models")[model]["candidates"])
                outcomes["model_quality"] = model_quality(con, model, as_of, dict(cfg["floors"].get(model) or {}),
                                                          learned)
        for name, outcome in outcomes.items():
            if not outcome.passed:
                context.log.warning(f"ml.{table} {name}: {outcome.description}")
            yield _result(asset, name, outcome)

    return _check


# one module-level name per definition: what load_from_defs_folder picks up
churn_scores_checks, toxicity_scores_checks, health_scores_checks, customer_clusters_checks = (
    _build(table) for table in ("churn_scores", "toxicity_scores", "health_scores", "customer_clusters"))
