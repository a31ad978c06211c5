"""The action lists and the manager's day as Excel workbooks and CSVs (``data_quality.list_export``)."""

import dagster as dg

from dagster_project.as_of import partition_date
from dagster_project.defs.partitions import AS_OF_STEP
from dagster_project.resources import PipelineSettings, Warehouse
from data_quality.list_export import export_list_workbooks, read_list_frames

ALL_ROWS_CHECK = "every_list_row_written"


@dg.asset(
    key=["serving", "list_workbooks"],
    deps=[dg.AssetKey(["marts", "mart_action_list"]), dg.AssetKey(["marts", "mart_manager_today"])],
    group_name="serving",
    kinds={"python", "excel", "csv"},
    **AS_OF_STEP,
    check_specs=[dg.AssetCheckSpec(
        ALL_ROWS_CHECK, asset=["serving", "list_workbooks"],
        description="Every row of the action lists and of the manager's day is in exactly one manager's "
                    "workbook (or the unassigned one); WARN when a mart was missing and its sheets are empty.")],
    description=(
        "The action lists (marts.mart_action_list, a sheet per list) and 'my customers today' "
        "(marts.mart_manager_today) as one XLSX per normalised manager plus one for the unassigned, "
        "and a CSV per sheet, under <data dir>/lists/<as-of date>/ (config/crm_export.yaml list_workbooks)."
    ),
)
def list_workbooks(context: dg.AssetExecutionContext, warehouse: Warehouse,
                   settings: PipelineSettings) -> dg.MaterializeResult:
    as_of = partition_date(context)
    cfg = settings.config("crm_export")["list_workbooks"]
    with warehouse.connect() as con:
        lists, today, notes = read_list_frames(con)
    result = export_list_workbooks(lists, today, warehouse.data_dir / cfg["dir"], as_of, cfg)
    for note in notes:
        context.log.warning(f"list_workbooks: {note}")
    expected = len(lists) + len(today)
    written = sum(result.rows.values())
    return dg.MaterializeResult(
        metadata={
            "as_of": as_of.isoformat(),
            "folder": dg.MetadataValue.path(str(result.folder)),
            "workbooks": len(result.workbooks),
            "managers": result.managers,
            "unassigned_rows": result.unassigned_rows,
            "dagster/row_count": written,
            "rows_per_sheet": dg.MetadataValue.json(result.rows),
            "notes": "; ".join(notes) or "none",
        },
        check_results=[dg.AssetCheckResult(
            check_name=ALL_ROWS_CHECK, passed=written == expected == result.workbook_rows and not notes,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={"rows_in_marts": expected, "rows_in_csvs": written, "rows_in_workbooks": result.workbook_rows,
                      "notes": "; ".join(notes) or "none"})],
    )
