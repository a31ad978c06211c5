"""The CRM import files as an asset (the export itself: ``data_quality.crm_export``)."""

import dagster as dg

from dagster_project.as_of import partition_date
from dagster_project.defs.partitions import AS_OF_STEP
from dagster_project.resources import PipelineSettings, Warehouse
from data_quality.crm_export import (
    EXPORT_DIR,
    EXPORT_QUERY,
    export_crm_files,
    load_export_config,
    prepare_customers,
)


@dg.asset(
    key=["serving", "crm_import_file"],
    deps=[dg.AssetKey(["core", "customers"]), dg.AssetKey(["quality", "quality_customer_completeness"])],
    group_name="serving",
    kinds={"python", "csv"},
    **AS_OF_STEP,
    description=(
        "The normalised customer base as CRM import files (amoCRM, Bitrix24; config/crm_export.yaml) "
        "under <data dir>/export/: golden contact fields, customer id, data-quality flags."
    ),
)
def crm_import_file(context: dg.AssetExecutionContext, warehouse: Warehouse,
                    settings: PipelineSettings) -> dg.MaterializeResult:
    as_of = partition_date(context)
    config = settings.config("crm_export")
    with warehouse.connect() as con:
        frame = con.execute(EXPORT_QUERY).df()
    results = export_crm_files(frame, warehouse.data_dir / EXPORT_DIR, config)
    for r in results:
        if r.unencodable_cells:
            context.log.warning(
                f"{r.target}: {r.unencodable_cells} cells have characters {r.encoding} cannot hold (written as '?')"
            )
    flagged = int(prepare_customers(frame, load_export_config(config)).dq_status.ne("ok").sum()) if len(frame) else 0
    return dg.MaterializeResult(
        metadata={
            "as_of": as_of.isoformat(),
            "customers": len(frame),
            "dagster/row_count": len(frame),  # rows of each import file
            "customers_flagged": flagged,
            "export_dir": dg.MetadataValue.path(str(warehouse.data_dir / EXPORT_DIR)),
            **{f"{r.target}_path": dg.MetadataValue.path(str(r.path)) for r in results},
            **{f"{r.target}_rows": r.rows for r in results},
            "files": dg.MetadataValue.json(
                {
                    r.target: {
                        "file": r.path.name, "rows": r.rows, "encoding": r.encoding, "delimiter": r.delimiter,
                        "columns": r.columns, "unencodable_cells": r.unencodable_cells,
                    }
                    for r in results
                }
            ),  # fmt: skip
        }
    )
