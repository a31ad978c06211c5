"""The published BI database (CLIENTPULSE_SERVING): built aside and swapped in atomically.

BI tools hold read locks; DuckDB allows one writer per file and a reader blocks it. So BI reads
the published copy, never the warehouse. What is copied, in which storage format and with which
comments: config/serving.yaml and dagster_project/publish.py.
"""

import dagster as dg

from dagster_project.as_of import partition_date
from dagster_project.defs.dbt.project import ensure_manifest
from dagster_project.defs.partitions import AS_OF_STEP
from dagster_project.publish import ServingConfig, dbt_descriptions, publish
from dagster_project.resources import PipelineSettings, Warehouse


@dg.asset(
    key=["serving", "published_database"],
    deps=[dg.AssetKey(["marts", "customer_360"]),
          # the manager views are built after the alerts, themselves after the verdict
          dg.AssetKey(["marts", "mart_manager_today"]), dg.AssetKey(["marts", "mart_manager_toxic_load"])],
    group_name="serving",
    kinds={"duckdb"},
    **AS_OF_STEP,
    description="The BI copy of the warehouse (CLIENTPULSE_SERVING): BI-facing schemas, readable by "
    "DuckDB 1.1+, dbt descriptions as comments; replaced atomically after every run.",
)
def published_database(context: dg.AssetExecutionContext, warehouse: Warehouse,
                       settings: PipelineSettings) -> dg.MaterializeResult:
    config = ServingConfig.from_mapping(settings.config("serving"))
    descriptions = dbt_descriptions(ensure_manifest()) if config.comments else None
    counts = publish(warehouse.file, settings.serving, config, descriptions)
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(settings.serving)),
            "as_of": partition_date(context).isoformat(),
            "schemas": ", ".join(config.schemas),
            "storage_version": config.storage_version or "default",
            "tables": len(counts),
            "dagster/row_count": sum(counts.values()),
            "row_counts": dg.MetadataValue.json(counts),
        }
    )
