"""The public-dataset adapters write landing folders that keep every source row and its truth."""

from __future__ import annotations

import csv
import datetime as dt
import json

import pytest

from public_data import DatasetMissing, write_cdnow, write_febrl
from public_data.febrl import entity_of, read_febrl_file


def _rows(path):
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module", autouse=True)
def _wheels():
    try:
        read_febrl_file("dataset1.csv")
    except DatasetMissing as exc:
        pytest.skip(f"dataset wheels not cached ({exc}); run `make datasets`")


def test_febrl3_lands_every_record_with_its_entity(tmp_path):
    counts = write_febrl("febrl3", tmp_path)
    assert counts == {"crm/contacts.csv": 5000, "truth/record_map.csv": 5000}
    contacts = _rows(tmp_path / "crm" / "contacts.csv")
    truth = _rows(tmp_path / "truth" / "record_map.csv")
    assert {r["contact_id"] for r in contacts} == {r["source_record_id"] for r in truth}
    assert len({r["person_id"] for r in truth}) == 2000
    first = next(r for r in contacts if r["contact_id"] == "rec-1496-org")
    # the FEBRL fields as written: street number + street + second line in one address, YYYYMMDD dates
    assert first["address"] == "7 wallaby place, delmar"
    assert (first["city"], first["postcode"], first["region"], first["birth_date"]) == ("cleveland", "2119", "sa", "19560409")
    assert json.loads((tmp_path / "truth" / "meta.json").read_text())["entities"] == 2000


def test_febrl4_is_two_files_one_record_of_each_person_in_each(tmp_path):
    write_febrl("febrl4", tmp_path)
    a = _rows(tmp_path / "crm" / "contacts_a.csv")
    b = _rows(tmp_path / "crm" / "contacts_b.csv")
    assert len(a) == len(b) == 5000
    assert {entity_of(r["contact_id"]) for r in a} == {entity_of(r["contact_id"]) for r in b}


def test_entity_of_rejects_foreign_ids():
    assert entity_of("rec-12-dup-3") == "rec-12"
    with pytest.raises(ValueError):
        entity_of("12")


def test_cdnow_cut_keeps_calibration_orders_and_summarises_the_holdout(tmp_path):
    counts = write_cdnow(tmp_path, until=dt.date(1997, 9, 30))
    orders = _rows(tmp_path / "crm" / "orders.csv")
    holdout = _rows(tmp_path / "truth" / "holdout.csv")
    assert counts["crm/contacts.csv"] == len(holdout) == 23570
    assert max(o["order_date"] for o in orders) <= "19970930"
    # every CDNOW line lands either as an order or in the holdout summary (69,659 lines)
    assert len(orders) + sum(int(h["holdout_orders"]) for h in holdout) == 69659
    assert len({o["order_id"] for o in orders}) == len(orders)
    assert orders[0]["contact_id"] == "00001"  # ids that look like numbers stay as written
    assert json.loads((tmp_path / "truth" / "meta.json").read_text())["end_date"] == "1997-09-30"


def test_cdnow_subset_is_seeded(tmp_path):
    write_cdnow(tmp_path / "a", until=dt.date(1997, 9, 30), customers=300, seed=1)
    write_cdnow(tmp_path / "b", until=dt.date(1997, 9, 30), customers=300, seed=1)
    a = _rows(tmp_path / "a" / "crm" / "contacts.csv")
    assert len(a) == 300 and a == _rows(tmp_path / "b" / "crm" / "contacts.csv")
