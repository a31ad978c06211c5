"""Data quality (issue 4): the data-filling standard as asset checks, Data Docs, CRM import files.

Exposed as lists for ``Definitions(...)``: ``assets`` and ``asset_checks``. The dbt models of
``dbt/models/quality`` (quarantine flags, completeness, coverage «точка А») are part of the dbt
mart step (``dbt_mart_models``) already.
"""

from dagster_project.defs.quality.checks import (
    core_customers_standard,
    standard_checks,
    stg_crm_contacts_standard,
    stg_orders_standard,
)
from dagster_project.defs.quality.crm_export import crm_import_file

assets = [crm_import_file]
asset_checks = [*standard_checks]

__all__ = [
    "asset_checks",
    "assets",
    "core_customers_standard",
    "crm_import_file",
    "stg_crm_contacts_standard",
    "stg_orders_standard",
]
