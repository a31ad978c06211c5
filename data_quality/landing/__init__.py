"""Landing-folder ingestion (pure Python + DuckDB, no Dagster): discovery, CSV/XLSX/EML/MBOX
readers, YAML header mappings, the file registry and the nothing-lost accounting."""

from data_quality.landing.discovery import discover, landing_fingerprint
from data_quality.landing.ingest import (
    FileOutcome,
    IngestReport,
    ensure_raw_tables,
    ingest_landing,
    reconcile,
)
from data_quality.landing.spec import (
    CANONICAL_COLUMNS,
    ID_COLUMNS,
    RAW_TABLES,
    LandingConfig,
    load_landing_config,
    map_header,
    normalize_header,
    raw_table_columns,
)

__all__ = [
    "CANONICAL_COLUMNS", "ID_COLUMNS", "RAW_TABLES", "FileOutcome", "IngestReport", "LandingConfig",
    "discover", "ensure_raw_tables", "ingest_landing", "landing_fingerprint", "load_landing_config",
    "map_header", "normalize_header", "raw_table_columns", "reconcile",
]
