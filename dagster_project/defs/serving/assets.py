"""The published BI database (CLIENTPULSE_SERVING): built aside and swapped in atomically.

BI tools hold read locks; DuckDB allows one writer per file and a reader blocks it. So BI reads
the published copy, never the warehouse. What is copied, in which storage format and with which
comments: config/serving.yaml and dagster_project/publish.py.
"""

import dagster as dg

from dagster_project.defs.dbt.project import ensure_manifest
from dagster_project.publish import ServingConfig, dbt_descriptions, publish
from dagster_project.settings import WAREHOUSE_POOL, load_settings, resolve_as_of
from data_quality.config import load_yaml


@dg.asset(
    key=["serving", "published_database"],
    deps=[dg.AssetKey(["marts", "customer_360"])],
    group_name="serving",
    kinds={"duckdb"},
    pool=WAREHOUSE_POOL,
    description="The BI copy of the warehouse (CLIENTPULSE_SERVING): BI-facing schemas, readable by "
    "DuckDB 1.1+, dbt descriptions as comments; replaced atomically after every run.",
)
def published_database(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    settings = load_settings()
    config = ServingConfig.from_mapping(load_yaml("serving.yaml"))
    descriptions = dbt_descriptions(ensure_manifest()) if config.comments else None
    counts = publish(settings.warehouse_path, settings.serving_path, config, descriptions)
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(settings.serving_path)),
            "as_of": resolve_as_of(context.run.tags).isoformat(),
            "schemas": ", ".join(config.schemas),
            "storage_version": config.storage_version or "default",
            "tables": len(counts),
            "dagster/row_count": sum(counts.values()),
            "row_counts": dg.MetadataValue.json(counts),
        }
    )
