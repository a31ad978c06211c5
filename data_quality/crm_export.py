"""The CRM import file: the normalised base written back as amoCRM / Bitrix24 CSVs.

One row per golden customer (``core.customers``) with its data-quality flags and completeness
(``quality.quality_customer_completeness``). Column sets, encodings and delimiters are
configuration: ``config/crm_export.yaml``. Files go to ``<data dir>/export/`` and are replaced
atomically (written aside, then ``os.replace``), so a half-written file is never imported.
"""


import csv
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

CONFIG_FILE = "crm_export.yaml"
EXPORT_DIR = "export"

GOLDEN_FIELDS = (
    "customer_id", "full_name", "first_name", "last_name", "middle_name", "phone_e164", "email",
    "birth_date", "city", "address", "postcode", "company", "manager", "completeness_score",
    "is_reachable", "dq_flags", "dq_status", "missing_fields", "sources", "record_count",
)  # fmt: skip

EXPORT_QUERY = """
SELECT
    c.customer_id, c.full_name, c.first_name, c.last_name, c.middle_name, c.phone_e164, c.email,
    c.birth_date, c.city, c.address, c.postcode, c.company, c.manager, c.sources, c.record_count,
    q.completeness_score, q.is_reachable, q.dq_flags, q.missing_fields, q.name_valid
FROM core.customers AS c
LEFT JOIN quality.quality_customer_completeness AS q USING (customer_id)
ORDER BY c.customer_id
"""


@dataclass
class ExportResult:
    target: str
    path: Path
    rows: int
    columns: list[str]
    encoding: str
    delimiter: str
    unencodable_cells: int


def load_export_config(config: dict[str, Any] | None = None) -> dict[str, Any]:
    if config is None:
        from clientpulse_config import load

        config = load(CONFIG_FILE)
    cfg = config
    targets = cfg.get("targets") or {}
    if not targets:
        raise ValueError(f"{CONFIG_FILE}: no targets")
    for name, target in targets.items():
        unknown = sorted(set((target.get("columns") or {}).values()) - set(GOLDEN_FIELDS))
        if unknown:
            raise ValueError(f"{CONFIG_FILE}: target {name!r} maps to unknown fields {unknown} (known: {GOLDEN_FIELDS})")
        if not target.get("file") or not target.get("columns"):
            raise ValueError(f"{CONFIG_FILE}: target {name!r} needs `file` and `columns`")
        "".encode(target.get("encoding", "utf-8"))  # unknown codec -> LookupError now, not mid-run
    return cfg


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _as_list(value: Any) -> list[str]:
    """A DuckDB list (numpy array / list) or a scalar as a list of strings."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value else []
    if hasattr(value, "__iter__"):
        return [str(v) for v in value if not _is_missing(v)]
    return [] if _is_missing(value) else [str(value)]


def _format(value: Any, field: str, target: dict[str, Any]) -> str:
    if field in ("dq_flags", "missing_fields", "sources"):
        return str(target.get("list_separator", ",")).join(_as_list(value))
    if _is_missing(value):
        return ""
    if field == "birth_date":
        return pd.Timestamp(value).strftime(target.get("date_format", "%d.%m.%Y"))
    if field == "is_reachable":
        return "1" if bool(value) else "0"
    if field == "completeness_score":
        return f"{float(value):.0f}"
    if field == "record_count":
        return str(int(value))
    return str(value)


def prepare_customers(frame: pd.DataFrame, config: dict[str, Any]) -> pd.DataFrame:
    """Apply the filters and derive ``dq_status`` (``ok`` or ``review: <flags>``)."""
    out = frame.copy()
    if "dq_flags" not in out:
        out["dq_flags"] = [[] for _ in range(len(out))]
    out["dq_flags"] = out["dq_flags"].map(_as_list)
    out["dq_status"] = out["dq_flags"].map(lambda f: "review: " + ", ".join(f) if f else "ok")
    keep = pd.Series(True, index=out.index)
    if not config.get("include_unreachable", True) and "is_reachable" in out:
        keep &= out["is_reachable"].fillna(False).astype(bool)
    if not config.get("include_without_name", True) and "name_valid" in out:
        keep &= out["name_valid"].fillna(False).astype(bool)
    return out.loc[keep].reset_index(drop=True)


def write_target(frame: pd.DataFrame, name: str, target: dict[str, Any], out_dir: Path) -> ExportResult:
    """Write one CRM import CSV atomically; return what was written."""
    columns: dict[str, str] = dict(target["columns"])
    encoding = str(target.get("encoding", "utf-8"))
    delimiter = str(target.get("delimiter", ","))
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / str(target["file"])
    tmp = path.with_name(path.name + ".tmp")
    unencodable = 0
    base_codec = encoding.lower().replace("-sig", "")
    rows = 0
    with open(tmp, "w", encoding=encoding, errors="replace", newline="") as fh:
        writer = csv.writer(fh, delimiter=delimiter, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
        writer.writerow(list(columns))
        records = frame.to_dict("records")
        for rec in records:
            cells = [_format(rec.get(field), field, target) for field in columns.values()]
            for cell in cells:
                try:
                    cell.encode(base_codec)
                except UnicodeEncodeError:
                    unencodable += 1
            writer.writerow(cells)
            rows += 1
    os.replace(tmp, path)
    return ExportResult(name, path, rows, list(columns), encoding, delimiter, unencodable)


def export_crm_files(frame: pd.DataFrame, out_dir: Path, config: dict[str, Any] | None = None) -> list[ExportResult]:
    cfg = load_export_config(config)
    customers = prepare_customers(frame, cfg)
    return [write_target(customers, name, target, out_dir) for name, target in cfg["targets"].items()]
