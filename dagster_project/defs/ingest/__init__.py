"""Ingestion of the landing folder: raw.* assets, the reconciliation check, job and sensor."""
