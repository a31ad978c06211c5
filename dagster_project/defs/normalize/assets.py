"""Contact normalisation as an asset: the lookups of ``data_quality.normalize.lookups`` written to
the `normalized` schema."""


import dagster as dg

from dagster_project.asset_metadata import tables_metadata
from dagster_project.resources import WAREHOUSE_POOL, PipelineSettings, Warehouse
from dagster_project.warehouse import replace_table

RAW_DEPS = [
    dg.AssetKey(["raw", t])
    for t in ("crm_contacts", "crm_orders", "mail_messages", "phone_calls", "support_tickets", "marketing_events",
              "actions_log", "chat_messages")
]

@dg.multi_asset(
    specs=[
        dg.AssetSpec(kinds={"python", "duckdb"}, key=["normalized", "phone_lookup"], deps=RAW_DEPS, description="Distinct raw phones → E.164, kind, validity."),
        dg.AssetSpec(kinds={"python", "duckdb"}, key=["normalized", "email_lookup"], deps=RAW_DEPS, description="Distinct raw e-mails → clean address, matching key, status."),
        dg.AssetSpec(kinds={"python", "duckdb"}, key=["normalized", "contact_names"], deps=RAW_DEPS, description="Name parts, matching keys and placeholder flags per CRM contact row."),
        dg.AssetSpec(kinds={"python", "duckdb"}, key=["normalized", "text_contacts"], deps=RAW_DEPS, description="Phones and e-mails mined from free-text fields."),
        dg.AssetSpec(kinds={"python", "duckdb"}, key=["normalized", "extra_contacts"], deps=RAW_DEPS, description="Further phones and e-mails of a row from more headers of one contact column («Рабочий телефон», «Личный email»)."),
        dg.AssetSpec(kinds={"python", "duckdb"}, key=["normalized", "manager_lookup"], deps=RAW_DEPS, description="Manager names as typed («Смирнова О.», «smirnova») → one manager per surname key."),
    ],
    group_name="normalize",
    pool=WAREHOUSE_POOL,
)
def contact_normalization(context: dg.AssetExecutionContext, warehouse: Warehouse, settings: PipelineSettings):
    from data_quality.normalize.lookups import build_lookups

    with warehouse.connect() as con:
        tables = build_lookups(con, settings.config("normalization"))
        counts = {name: replace_table(con, "normalized", name, frame) for name, frame in tables.items()}
        meta = tables_metadata(con, "normalized", counts)
    phones, emails, names, managers = (tables[t] for t in ("phone_lookup", "email_lookup", "contact_names", "manager_lookup"))
    phone_kinds = phones["phone_kind"].value_counts().to_dict() if len(phones) else {}
    email_status = emails["email_status"].value_counts().to_dict() if len(emails) else {}
    placeholders = int(names["is_placeholder_name"].sum()) if len(names) else 0

    context.log.info(f"normalised {counts}")
    yield dg.MaterializeResult(
        asset_key=["normalized", "phone_lookup"],
        metadata={**meta["phone_lookup"], "phone_kinds": dg.MetadataValue.json(phone_kinds)},
    )
    yield dg.MaterializeResult(
        asset_key=["normalized", "email_lookup"],
        metadata={**meta["email_lookup"], "email_status": dg.MetadataValue.json(email_status)},
    )
    yield dg.MaterializeResult(
        asset_key=["normalized", "contact_names"],
        metadata={**meta["contact_names"], "placeholder_names": placeholders},
    )
    yield dg.MaterializeResult(asset_key=["normalized", "text_contacts"], metadata={**meta["text_contacts"]})
    yield dg.MaterializeResult(asset_key=["normalized", "extra_contacts"], metadata={**meta["extra_contacts"]})
    yield dg.MaterializeResult(
        asset_key=["normalized", "manager_lookup"],
        metadata={**meta["manager_lookup"], "managers": int(managers["manager"].nunique()) if len(managers) else 0},
    )
