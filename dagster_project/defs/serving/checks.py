"""The decisions against ground truth, when the landing folder carries it (`ml.decision_truth`)."""

import dagster as dg

from dagster_project.as_of import partition_date
from dagster_project.resources import WAREHOUSE_POOL, PipelineSettings, Warehouse


@dg.asset_check(
    asset=dg.AssetKey(["marts", "customer_360"]),
    pool=WAREHOUSE_POOL,
    description="With truth/ in the landing folder (a generated sample): precision of 'dead', early-warning "
                "recall and the share of living customers flagged, against their floors (WARN below).",
)
def decisions_vs_truth(context: dg.AssetCheckExecutionContext, warehouse: Warehouse,
                       settings: PipelineSettings) -> dg.AssetCheckResult:
    from ml.decision_truth import below_floors, decision_metrics, has_truth

    if not has_truth(settings.landing):
        return dg.AssetCheckResult(passed=True, description="no truth/ in the landing folder: nothing to measure",
                                   metadata={"truth": "none"})
    with warehouse.connect() as con:
        metrics = decision_metrics(con, settings.landing, partition_date(context))
    missed = below_floors(metrics)
    return dg.AssetCheckResult(
        passed=not missed, severity=dg.AssetCheckSeverity.WARN,
        description="; ".join(missed) or "every figure at or past its floor",
        metadata={k: v for k, v in metrics.items() if v is not None},
    )
