"""Identity resolution: every accepted record → one customer, golden records, stable ids.

Pure logic lives in `ml.identity` and `dagster_project.identity_step` (the previous crosswalk and
the reviewers' decisions in, `resolve_identities`); this asset calls it and reports the counts (and
accuracy when the generator's truth is present).
"""


import dagster as dg

from dagster_project.as_of import partition_date
from dagster_project.asset_metadata import tables_metadata
from dagster_project.defs.partitions import AS_OF_STEP
from dagster_project.identity_step import read_decisions, resolve_on_warehouse
from dagster_project.resources import WAREHOUSE_POOL, PipelineSettings, Warehouse

IDENTITY_OUTPUTS = ("customer_identity", "customers", "customer_aliases", "identity_review_pairs")


@dg.multi_asset(
    specs=[
        dg.AssetSpec(kinds={"python", "duckdb", "splink"}, key=["core", "customer_identity"],
            deps=[dg.AssetKey(["intermediate", "int_identity_records"])],
            description="Every accepted source record → exactly one customer_id, with match_rule and match_score.",
        ),
        dg.AssetSpec(kinds={"python", "duckdb", "splink"}, key=["core", "customers"], description="One golden record per customer, with the provenance of each value."),
        dg.AssetSpec(kinds={"python", "duckdb", "splink"}, key=["core", "customer_aliases"], description="Retired customer ids → the surviving id (merges across runs)."),
        dg.AssetSpec(kinds={"python", "duckdb", "splink"}, key=["core", "identity_review_pairs"], description="Uncertain probabilistic pairs for a human to confirm or reject."),
    ],
    check_specs=[
        dg.AssetCheckSpec(
            "customer_ids_stable",
            asset=dg.AssetKey(["core", "customer_identity"]),
            description="How many records changed customer_id since the previous run (merges, splits).",
        ),
        dg.AssetCheckSpec(
            "identity_model_trained",
            asset=dg.AssetKey(["core", "customer_identity"]),
            description="Whether the probabilistic model could be trained on this data; warns with the "
                        "reason when it fell back to configured values or to deterministic matching only.",
        ),
    ],
    group_name="identity",
    **AS_OF_STEP,
)
def identity_resolution(context: dg.AssetExecutionContext, warehouse: Warehouse, settings: PipelineSettings):
    from ml.identity.evaluate import evaluate_tables
    from ml.identity.stable_ids import id_stability

    as_of = partition_date(context)
    config = settings.config("identity")
    decisions = read_decisions(config, warehouse.data_dir)
    with warehouse.connect() as con:
        step = resolve_on_warehouse(con, config, as_of, decisions)
        result, previous_records = step.result, step.previous_records
        stats = dict(result.stats)
        truth_metrics = {}
        truth = settings.landing / "truth" / "record_map.csv"
        if truth.is_file():
            truth_metrics = evaluate_tables(con, "core.customer_identity", truth)
        counts = {t: con.execute(f"SELECT count(*) FROM core.{t}").fetchone()[0] for t in IDENTITY_OUTPUTS}
        meta = tables_metadata(con, "core", counts)

    context.log.info(f"identity: {counts}, stats {stats}, truth {truth_metrics}, seconds {result.timings}")
    stability = id_stability(stats, previous_records, config)
    yield dg.AssetCheckResult(
        check_name="customer_ids_stable",
        asset_key=["core", "customer_identity"],
        passed=stability.pop("passed"),
        severity=dg.AssetCheckSeverity.WARN,
        metadata=stability,
    )
    method = str(stats.get("splink_method", "splink"))
    fallbacks = list(stats.get("splink_fallbacks") or [])
    if fallbacks:
        context.log.warning(f"identity resolution used {method}: {'; '.join(fallbacks)}")
    yield dg.AssetCheckResult(
        check_name="identity_model_trained",
        asset_key=["core", "customer_identity"],
        passed=not fallbacks,
        severity=dg.AssetCheckSeverity.WARN,
        description="; ".join(fallbacks) or "prior, u and m estimated from this data",
        metadata={
            "method": method,
            "reasons": dg.MetadataValue.json(fallbacks),
            "comparisons_used": dg.MetadataValue.json(stats.get("splink_comparisons") or []),
            "dropped_for_empty_columns": dg.MetadataValue.json(stats.get("splink_dropped") or {}),
            "em_training_blocks": dg.MetadataValue.json(stats.get("splink_em_blocks") or []),
            # incremental: the saved model scored the pairs of changed rows only (ml/identity/incremental.py)
            "scoring": str(stats.get("splink_mode") or "none"),
            "full_scoring_because": str(stats.get("splink_full_reason") or ""),
            "model_trained_as_of": str(stats.get("splink_model_trained_as_of") or as_of),
        },
    )
    yield dg.MaterializeResult(
        asset_key=["core", "customer_identity"],
        metadata={
            **meta["customer_identity"],
            "stats": dg.MetadataValue.json({k: v for k, v in stats.items() if isinstance(v, (int, float, str))}),
            "identity_method": method,
            **({"accuracy_vs_truth": dg.MetadataValue.json(truth_metrics)} if truth_metrics else {}),
        },
    )
    yield dg.MaterializeResult(asset_key=["core", "customers"], metadata={**meta["customers"]})
    yield dg.MaterializeResult(asset_key=["core", "customer_aliases"], metadata={**meta["customer_aliases"]})
    yield dg.MaterializeResult(
        asset_key=["core", "identity_review_pairs"], metadata={**meta["identity_review_pairs"]}
    )


@dg.asset_check(asset=dg.AssetKey(["core", "customer_identity"]), blocking=True, pool=WAREHOUSE_POOL)
def every_record_has_one_customer(warehouse: Warehouse) -> dg.AssetCheckResult:
    """Nothing lost: the identity input and output hold the same records, each exactly once."""
    with warehouse.connect() as con:
        missing, duplicated, extra = con.execute(
            """
            WITH i AS (SELECT source, source_record_id, count(*) AS n FROM core.customer_identity GROUP BY ALL)
            SELECT
              (SELECT count(*) FROM intermediate.int_identity_records r
                 WHERE NOT EXISTS (SELECT 1 FROM i WHERE i.source = r.source AND i.source_record_id = r.source_record_id)),
              (SELECT count(*) FROM i WHERE n > 1),
              (SELECT count(*) FROM i WHERE NOT EXISTS (SELECT 1 FROM intermediate.int_identity_records r
                 WHERE i.source = r.source AND i.source_record_id = r.source_record_id))
            """
        ).fetchone()
    return dg.AssetCheckResult(
        passed=missing == 0 and duplicated == 0 and extra == 0,
        metadata={"records_without_customer": missing, "records_with_several_customers": duplicated, "unknown_records": extra},
    )
