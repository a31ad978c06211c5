"""The daily report as an asset (the page itself: the ``reporting`` package, docs/report.md)."""

import dagster as dg

from dagster_project.as_of import partition_date
from dagster_project.defs.partitions import AS_OF_STEP
from dagster_project.resources import PipelineSettings, Warehouse

REPORT_FILE = ("report", "index.html")  # under the data dir, next to the warehouse


@dg.asset(
    key=["serving", "daily_report"],
    deps=[dg.AssetKey(["marts", "customer_360"]), dg.AssetKey(["ml", "alerts"]),
          dg.AssetKey(["marts", "mart_manager_today"]), dg.AssetKey(["marts", "mart_segment_migration"]),
          dg.AssetKey(["quality", "quality_coverage_history"]), dg.AssetKey(["quality", "quality_by_source"]),
          dg.AssetKey(["quality", "quality_by_manager"]), dg.AssetKey(["ml", "model_runs"]),
          dg.AssetKey(["ml", "cluster_profiles"])],
    group_name="serving",
    kinds={"python", "html"},
    **AS_OF_STEP,
    check_specs=[dg.AssetCheckSpec("every_chart_has_data", asset=["serving", "daily_report"],
                                   description="WARN when a chart fell back to its explained empty state "
                                               "(missing or empty table, first run, no realised labels).")],
    description="The daily report <data dir>/report/index.html: digest (action lists, RFCM alarm, who crossed "
                "into risk, top movers) and charts (RFM, risk x value, migration, coverage, health, churn "
                "calibration and lift, clusters, data quality); self-contained, opens from disk, ru/en.",
)
def daily_report(context: dg.AssetExecutionContext, warehouse: Warehouse,
                 settings: PipelineSettings) -> dg.MaterializeResult:
    from reporting import render, write_report
    from reporting.build import cached_javascript

    as_of = partition_date(context)
    config = settings.config("report")
    target = warehouse.data_dir.joinpath(*REPORT_FILE)
    javascript = cached_javascript(target.parent)
    with warehouse.connect() as con:
        report = render(con, as_of, lang=config["language"], top_n=config["top_n"], javascript=javascript)
    path = write_report(report, target)
    for warning in report.warnings:
        context.log.warning(f"daily report: {warning}")
    rows = {b.key: (0 if b.table is None else len(b.table)) for b in report.blocks}
    return dg.MaterializeResult(
        metadata={
            "dagster/uri": dg.MetadataValue.path(str(path)),
            "path": dg.MetadataValue.path(str(path)),
            "as_of": as_of.isoformat(),
            "language": config["language"],
            "charts_drawn": len(report.drawn),
            "charts_empty": len(report.empty),
            "empty_charts": dg.MetadataValue.json(report.empty),
            "action_lists": rows["action_lists"],
            "crossed_into_risk_rows": rows["crossed"],
            "top_movers_rows": rows["movers"],
            "bytes": path.stat().st_size,
        },
        check_results=[dg.AssetCheckResult(
            check_name="every_chart_has_data", passed=not report.empty, severity=dg.AssetCheckSeverity.WARN,
            description="; ".join(f"{k}: {v}" for k, v in report.empty.items()) or "every chart drawn from data",
            metadata={"charts_drawn": len(report.drawn), "charts_empty": len(report.empty)},
        )],
    )
