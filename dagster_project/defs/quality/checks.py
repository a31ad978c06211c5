"""The data-filling standard as Dagster asset checks (Great Expectations 1.x on DuckDB frames).

One ``@multi_asset_check`` per standard table (``config/data_standard.yaml``):

========================= ==============================
standard table            asset
========================= ==============================
``stg_crm_contacts``      ``staging/stg_crm_contacts``
``stg_orders``            ``staging/stg_orders``
``core_customers``        ``core/customers``
========================= ==============================

Every rule is its own check (named after the rule): severity ``error`` → a *blocking* check with
ERROR severity (a failure stops the assets downstream of the table), ``warn`` → a non-blocking
WARN check. A summary check ``data_filling_standard`` (WARN, never blocking) carries the whole
report. Metadata: counts, failing ids (≤ 20), the static Data Docs page under
``<data dir>/quality_docs/`` (with every run's validation in its history, linked as a URL).

GX validates frames pulled from DuckDB (its SQL path does not work on DuckDB) and is imported
lazily inside ``run_standard`` (~5 s), never at code-location load. One check per asset, not one
for all three: a check spanning ``stg_crm_contacts`` and ``core/customers`` would wait for identity,
while identity waits for the blocking staging checks — a cycle.
"""


from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg

from dagster_project.as_of import partition_date
from dagster_project.resources import WAREHOUSE_POOL, PipelineSettings, Warehouse
from data_quality.standard.tables import (
    docs_dir,
    is_blocking,
    run_table_standard,
    table_rules,
    write_data_docs,
)

STANDARD_FILE = "data_standard.yaml"
SUMMARY_CHECK = "data_filling_standard"

# standard table → (asset key, warehouse relation)
STANDARD_TABLES: dict[str, tuple[dg.AssetKey, str]] = {
    "stg_crm_contacts": (dg.AssetKey(["staging", "stg_crm_contacts"]), "staging.stg_crm_contacts"),
    "stg_orders": (dg.AssetKey(["staging", "stg_orders"]), "staging.stg_orders"),
    "core_customers": (dg.AssetKey(["core", "customers"]), "core.customers"),
}


def _rule_metadata(result, docs_page: Path | None) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "severity": result.severity,
        "expectation": str(result.expectation_type),
        "column": result.column or "",
        "unexpected_count": int(result.unexpected_count),
        "element_count": int(result.element_count),
        "unexpected_percent": round(float(result.unexpected_percent), 4),
        "failing_ids_sample": dg.MetadataValue.json([str(i) if i is not None else None for i in result.failing_ids]),
    }
    if result.observed_value is not None:
        meta["observed_value"] = dg.MetadataValue.json(result.observed_value) if isinstance(
            result.observed_value, (dict, list)
        ) else str(result.observed_value)
    if result.reason:
        meta["reason"] = result.reason
    if docs_page is not None:
        meta["data_docs"] = dg.MetadataValue.path(str(docs_page))
    return meta


def check_results(
    table: str,
    asset_key: dg.AssetKey,
    report,
    spec_rules: dict[str, dict[str, Any]],
    docs_page: Path | None,
) -> Iterator[dg.AssetCheckResult]:
    """One result per rule check (as declared when the code location loaded) plus the summary."""
    by_name = {r.rule: r for r in report.results}
    for name, rule in spec_rules.items():
        severity = dg.AssetCheckSeverity.ERROR if is_blocking(rule) else dg.AssetCheckSeverity.WARN
        result = by_name.get(name)
        if result is None:  # the rule left the YAML after the code location loaded
            yield dg.AssetCheckResult(
                check_name=name, asset_key=asset_key, passed=True, severity=severity,
                metadata={"note": "rule no longer in config/data_standard.yaml; reload the code location"},
            )  # fmt: skip
            continue
        yield dg.AssetCheckResult(
            check_name=name,
            asset_key=asset_key,
            passed=bool(result.success),
            severity=severity,
            metadata=_rule_metadata(result, docs_page),
            description=f"{table}: {name} ({result.severity})",
        )
    meta = report.to_metadata()
    summary: dict[str, Any] = {
        "row_count": report.row_count,
        "as_of": meta["as_of"],
        "rules_total": meta["rules_total"],
        "rules_failed_error": dg.MetadataValue.json(meta["rules_failed_error"]),
        "rules_failed_warn": dg.MetadataValue.json(meta["rules_failed_warn"]),
        "unexpected_counts": dg.MetadataValue.json(
            {r.rule: int(r.unexpected_count) for r in report.results if not r.success}
        ),
        "report": dg.MetadataValue.json(meta["rules"]),
    }
    if docs_page is not None:
        summary["data_docs"] = dg.MetadataValue.path(str(docs_page))
        summary["data_docs_index"] = dg.MetadataValue.path(str(docs_page.parent.parent / "index.html"))
        # a clickable link in the UI: the whole site with the run history (docs/dagster_ui.md)
        summary["data_docs_url"] = dg.MetadataValue.url((docs_page.parent.parent / "index.html").resolve().as_uri())
    yield dg.AssetCheckResult(
        check_name=SUMMARY_CHECK,
        asset_key=asset_key,
        passed=report.all_passed,
        severity=dg.AssetCheckSeverity.WARN,
        metadata=summary,
        description=f"{table}: {'all rules passed' if report.all_passed else 'some rules failed'}",
    )


# ----------------------------------------------------------------------------- Dagster checks


def build_standard_check(table: str, asset_key: dg.AssetKey, relation: str) -> dg.AssetChecksDefinition:
    rules = {r["name"]: r for r in table_rules(table)}
    specs = [
        dg.AssetCheckSpec(
            name,
            asset=asset_key,
            blocking=is_blocking(rule),
            description=f"Data-filling standard rule {name!r} ({rule.get('type')}, severity "
            f"{rule.get('severity', 'error')}) from config/{STANDARD_FILE}.",
        )
        for name, rule in rules.items()
    ]
    specs.append(
        dg.AssetCheckSpec(
            SUMMARY_CHECK,
            asset=asset_key,
            blocking=False,
            description=f"Every rule of the data-filling standard of {table}, with the Data Docs link.",
        )
    )

    @dg.multi_asset_check(
        name=f"{table}_data_standard",
        specs=specs,
        pool=WAREHOUSE_POOL,
        description=f"Great Expectations: the data-filling standard of {table} (config/{STANDARD_FILE}).",
    )
    def _check(context: dg.AssetCheckExecutionContext, warehouse: Warehouse,
               settings: PipelineSettings) -> Iterator[dg.AssetCheckResult]:
        as_of = partition_date(context)
        with warehouse.connect() as con:
            report = run_table_standard(con, table, relation, as_of, settings.config("data_standard"))
        docs_page: Path | None
        try:
            docs_page = write_data_docs(report, docs_dir(warehouse.data_dir), run_id=context.run.run_id)
        except OSError as exc:  # docs are a convenience: never fail the check on them
            context.log.warning(f"could not write Data Docs: {exc}")
            docs_page = None
        failed = report.failed()
        context.log.info(
            f"{table} as of {as_of}: {report.row_count} rows, "
            f"{len(report.failed('error'))} error / {len(report.failed('warn'))} warn rules failed"
            + (f" ({', '.join(r.rule for r in failed)})" if failed else "")
        )
        yield from check_results(table, asset_key, report, rules, docs_page)

    return _check


def _build_all() -> list[dg.AssetChecksDefinition]:
    return [build_standard_check(t, key, rel) for t, (key, rel) in STANDARD_TABLES.items()]


standard_checks: list[dg.AssetChecksDefinition] = _build_all()
stg_crm_contacts_standard, stg_orders_standard, core_customers_standard = standard_checks

__all__ = [
    "STANDARD_TABLES",
    "build_standard_check",
    "check_results",
    "core_customers_standard",
    "standard_checks",
    "stg_crm_contacts_standard",
    "stg_orders_standard",
]
