"""Hand-made tricky identity fixture (used by tests and as a smoke input): records in the
`resolve_identities` input shape plus the exact expected clusters."""

from __future__ import annotations

import duckdb
import pandas as pd

COLS = ["source", "source_record_id", "crm_contact_id", "phone_e164", "phone_e164_extra", "email_key",
        "first_name_key", "last_name_key", "middle_name_key", "first_name_canonical_key", "name_key",
        "is_placeholder_name", "birth_date", "city_key", "postcode", "address_key", "record_ts",
        "first_name", "last_name", "middle_name", "full_name_clean", "phone_e164_display", "email", "city",
        "address", "company", "manager", "source_priority"]
PRIO = {"crm_contact": 1, "ticket": 2, "order": 3, "event": 4, "mail": 5, "call": 6}


def rec(source, rid, *, contact=None, phone=None, phone2=None, email=None, first=None, last=None,
        middle=None, canon=None, placeholder=False, bd=None, city=None, postcode=None, address=None,
        ts="2024-01-01", company=None, manager=None):
    canon = canon or first
    name_key = " ".join(sorted(x for x in (canon, last) if x)) or None
    return {
        "source": source, "source_record_id": rid,
        "crm_contact_id": rid if source == "crm_contact" else contact,
        "phone_e164": phone, "phone_e164_extra": phone2, "email_key": email,
        "first_name_key": first, "last_name_key": last, "middle_name_key": middle,
        "first_name_canonical_key": canon, "name_key": None if placeholder else name_key,
        "is_placeholder_name": placeholder, "birth_date": pd.Timestamp(bd).date() if bd else None,
        "city_key": city, "postcode": postcode, "address_key": address, "record_ts": pd.Timestamp(ts),
        "first_name": first.title() if first else None, "last_name": last.title() if last else None,
        "middle_name": middle, "full_name_clean": " ".join(x.title() for x in (last, first) if x) or None,
        "phone_e164_display": phone, "email": email, "city": city.title() if city else None,
        "address": address, "company": company, "manager": manager, "source_priority": PRIO[source],
    }


P_HOME, P_JUNK = "+74951112233", "+79000000000"


def fixture_records() -> tuple[list[dict], dict[str, list[str]]]:
    """Records + the expected clusters (lists of `source:id`); every record is in one list."""
    r: list[dict] = []
    # A: the regular customer: contact, orders, mail, call, ticket, extra phone from the comment
    r += [rec("crm_contact", "C1", phone="+79161234567", phone2="+79167654321", email="ivan.petrov@mail.ru",
              first="ivan", last="petrov", middle="sergeevich", bd="1980-04-01", city="moskva",
              address="ul lenina 1 kv 2", postcode="101000", ts="2023-01-05", manager="Orlova"),
          rec("order", "O1", contact="C1", ts="2023-02-01"), rec("order", "O2", contact="C1", ts="2024-02-01"),
          rec("mail", "M1", email="ivan.petrov@mail.ru", ts="2024-03-01"),
          rec("call", "K1", phone="+79161234567", ts="2024-03-02"),
          rec("call", "K1b", phone="+79167654321", ts="2024-03-03"),
          rec("ticket", "T1", contact="C1", email="ivan.petrov@mail.ru", ts="2024-03-04")]
    # B, C: family members sharing a home phone (different first names) stay apart;
    # an anonymous call from the home phone goes to the phone's owner (tie: smallest cluster)
    r += [rec("crm_contact", "C2", phone=P_HOME, first="mariya", canon="mariya", last="sidorova",
              bd="1982-06-01", ts="2023-01-06"),
          rec("crm_contact", "C3", phone=P_HOME, first="sergei", last="sidorov", bd="1979-01-01",
              ts="2023-01-07"),
          rec("call", "K2", phone=P_HOME, ts="2024-01-10")]
    # D, E: same name, different people (different birth dates, cities, phones)
    r += [rec("crm_contact", "C4", phone="+79031111111", first="anna", last="smirnova", bd="1990-01-01",
              city="moskva", address="ul tverskaya 5", ts="2023-02-01"),
          rec("crm_contact", "C5", phone="+79032222222", first="anna", last="smirnova", bd="1975-05-05",
              city="kazan", address="ul baumana 7", ts="2023-02-02")]
    # F: typo in the last name, no phone / e-mail on the duplicate: same birth date and address
    r += [rec("crm_contact", "C6", phone="+79263333333", first="aleksandr", last="kuznetsov",
              bd="1985-03-10", city="moskva", address="ul lenina 10 kv 5", postcode="101001", ts="2023-03-01"),
          rec("crm_contact", "C7", first="aleksandr", last="kuznecov", bd="1985-03-10", city="moskva",
              address="ul lenina 10 kv 5", postcode="101001", ts="2023-03-02")]
    # G: swapped first/last name on a record sharing the phone
    r += [rec("crm_contact", "C8", phone="+79264444444", first="olga", last="sokolova", bd="1992-07-07",
              ts="2023-04-01"),
          rec("crm_contact", "C9", phone="+79264444444", first="sokolova", last="olga", ts="2023-04-02")]
    # H: Latin spelling variant sharing an e-mail; an event carrying the e-mail
    r += [rec("crm_contact", "C10", email="volkov.d@gmail.com", first="dmitrii", last="volkov",
              ts="2023-05-01"),
          rec("crm_contact", "C11", email="volkov.d@gmail.com", first="dmitry", last="volkov",
              ts="2023-05-02"),
          rec("event", "E1", email="volkov.d@gmail.com", ts="2024-05-01")]
    # I: ten placeholder contacts «Клиент» on one junk phone: a hub, nobody is joined by it
    for i in range(10):
        r.append(rec("crm_contact", f"C2{i}", phone=P_JUNK, first="klient", placeholder=True,
                      ts=f"2023-06-{i + 1:02d}"))
    r.append(rec("call", "K3", phone=P_JUNK, ts="2024-06-01"))
    # J: a company mailbox info@ shared by three people: the name guard keeps them apart
    for cid, first, last in (("C30", "oleg", "orlov"), ("C31", "elena", "belova"), ("C32", "pavel", "popov")):
        r.append(rec("crm_contact", cid, email="info@romashka.ru", first=first, last=last,
                     company="Romashka", ts="2023-07-01"))
    # K: orders whose contact id has no contact row
    r += [rec("order", "O10", contact="C999", ts="2024-01-01"),
          rec("order", "O11", contact="C999", ts="2024-02-01"),
          rec("order", "O12", contact="C998", ts="2024-02-01")]
    # L: no phone / e-mail at all; same name + birth date + address -> one person;
    #    same name + birth date elsewhere -> uncertain (review band), not merged
    r += [rec("crm_contact", "C40", first="nikolai", last="morozov", middle="petrovich", bd="1970-02-02",
              city="moskva", address="pr mira 1", postcode="129090", ts="2023-08-01"),
          rec("crm_contact", "C41", first="nikolai", last="morozov", middle="petrovich", bd="1970-02-02",
              city="moskva", address="pr mira 1", postcode="129090", ts="2023-08-02"),
          rec("crm_contact", "C42", first="nikolai", last="morozov", bd="1970-02-02", city="tver",
              address="ul sovetskaya 3", ts="2023-08-03")]
    # M: diminutive first name (canonical key) on a duplicate with the same phone
    r += [rec("crm_contact", "C50", phone="+79265555555", first="aleksei", last="orlov", ts="2023-09-01"),
          rec("crm_contact", "C51", phone="+79265555555", first="lesha", canon="aleksei", last="orlov",
              ts="2023-09-02")]
    expected = {
        "A": ["crm_contact:C1", "order:O1", "order:O2", "mail:M1", "call:K1", "call:K1b", "ticket:T1"],
        "B": ["crm_contact:C2", "call:K2"], "C": ["crm_contact:C3"],
        "D": ["crm_contact:C4"], "E": ["crm_contact:C5"],
        "F": ["crm_contact:C6", "crm_contact:C7"],
        "G": ["crm_contact:C8", "crm_contact:C9"],
        "H": ["crm_contact:C10", "crm_contact:C11", "event:E1"],
        "J1": ["crm_contact:C30"], "J2": ["crm_contact:C31"], "J3": ["crm_contact:C32"],
        "K1": ["order:O10", "order:O11"], "K2": ["order:O12"],
        "L": ["crm_contact:C40", "crm_contact:C41"], "L2": ["crm_contact:C42"],
        "M": ["crm_contact:C50", "crm_contact:C51"],
        "Ijunk": ["call:K3"],
    }
    for i in range(10):
        expected[f"I{i}"] = [f"crm_contact:C2{i}"]
    return r, expected


def load(con: duckdb.DuckDBPyConnection, rows: list[dict], name: str = "records") -> str:
    df = pd.DataFrame(rows, columns=COLS)
    con.register("_df", df)
    con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM _df")
    con.unregister("_df")
    return name
