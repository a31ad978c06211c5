"""The CRM import files as an asset (the export itself: ``data_quality.crm_export``)."""

import dagster as dg

from dagster_project.as_of import partition_date
from dagster_project.defs.partitions import AS_OF_STEP
from dagster_project.resources import PipelineSettings, Warehouse
from data_quality.crm_export import EXPORT_DIR, SURVIVOR_RULE, export_crm_files, read_export_frames

LEFT_OUT_CHECK = "no_contact_left_out"


@dg.asset(
    key=["serving", "crm_import_file"],
    # the verdict carries the normalised manager, the risk stage and the action level of the tags
    deps=[dg.AssetKey(["core", "customers"]), dg.AssetKey(["quality", "quality_customer_completeness"]),
          dg.AssetKey(["marts", "customer_verdict"])],
    group_name="serving",
    kinds={"python", "csv"},
    **AS_OF_STEP,
    check_specs=[dg.AssetCheckSpec(
        LEFT_OUT_CHECK, asset=["serving", "crm_import_file"],
        description="Every golden customer is in the CRM file unless it has nothing to write (no real name, "
                    "no valid phone, no valid e-mail); WARN with their number when some are left out.")],
    description=(
        "The normalised customer base as CRM import files (amoCRM, Bitrix24; config/crm_export.yaml) "
        "under <data dir>/export/: keyed by the CRM's own contact id where the customer has one, every "
        "valid phone and e-mail, the normalised manager, Russian tags; plus the merge list of CRM "
        "records that are one customer. Spreadsheet-safe cells (docs/exports.md)."
    ),
)
def crm_import_file(context: dg.AssetExecutionContext, warehouse: Warehouse,
                    settings: PipelineSettings) -> dg.MaterializeResult:
    as_of = partition_date(context)
    config = settings.config("crm_export")
    with warehouse.connect() as con:
        frame, records, contacts, labels, notes = read_export_frames(con, config)
    run = export_crm_files(frame, warehouse.data_dir / EXPORT_DIR, config, records, contacts, labels)
    for note in notes:
        context.log.warning(f"crm_import_file: {note}")
    for r in run.results:
        if r.unencodable_cells:
            context.log.warning(
                f"{r.target}: {r.unencodable_cells} cells have characters {r.encoding} cannot hold (written as '?')"
            )
    if run.left_out:
        context.log.warning(f"crm_import_file: {run.left_out} customers left out: no real name, phone or e-mail")
    flagged = int(sum(1 for r in frame.get("dq_flags", []) if r is not None and len(r)))
    rows = run.results[0].rows if run.results else 0
    return dg.MaterializeResult(
        metadata={
            "as_of": as_of.isoformat(),
            "customers": run.customers,
            "dagster/row_count": rows,  # rows of each import file
            "customers_flagged": flagged,
            "customers_left_out": run.left_out,
            "customers_filtered": run.filtered,
            "rows_with_crm_id": run.with_crm_id,
            "crm_records_to_merge": run.merged_records,
            "survivor_rule": SURVIVOR_RULE,
            "manager_spellings": run.managers_raw,
            "managers": run.managers,
            "export_dir": dg.MetadataValue.path(str(warehouse.data_dir / EXPORT_DIR)),
            **({"merge_list_path": dg.MetadataValue.path(str(run.merge_list))} if run.merge_list else {}),
            **{f"{r.target}_path": dg.MetadataValue.path(str(r.path)) for r in run.results},
            **{f"{r.target}_rows": r.rows for r in run.results},
            **{f"{r.target}_rows_with_crm_id": r.with_crm_id for r in run.results},
            "notes": "; ".join(notes) or "none",
            "files": dg.MetadataValue.json(
                {
                    r.target: {
                        "file": r.path.name, "rows": r.rows, "encoding": r.encoding, "delimiter": r.delimiter,
                        "columns": r.columns, "unencodable_cells": r.unencodable_cells,
                        "overflow_values": r.overflow_values,
                    }
                    for r in run.results
                }
            ),  # fmt: skip
        },
        check_results=[dg.AssetCheckResult(
            check_name=LEFT_OUT_CHECK, passed=run.left_out == 0, severity=dg.AssetCheckSeverity.WARN,
            metadata={"left_out": run.left_out, "customers": run.customers, "written": rows},
            description=f"{run.left_out} of {run.customers} customers have no real name, phone or e-mail")],
    )
