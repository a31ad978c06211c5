"""Ingestion of the landing folder: assets raw.*, the reconciliation check, job and sensor.

Exposed as lists for ``Definitions(...)``: ``assets``, ``asset_checks``, ``jobs``, ``sensors``.
"""

from dagster_project.defs.ingest.assets import (
    ingest_job,
    ingest_landing_asset,
    landed_equals_raw_plus_rejected,
    landing_folder_sensor,
)

assets = [ingest_landing_asset]
asset_checks = [landed_equals_raw_plus_rejected]
jobs = [ingest_job]
sensors = [landing_folder_sensor]

__all__ = ["asset_checks", "assets", "ingest_job", "ingest_landing_asset", "jobs",
           "landed_equals_raw_plus_rejected", "landing_folder_sensor", "sensors"]
