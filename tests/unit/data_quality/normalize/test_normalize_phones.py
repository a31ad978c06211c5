"""normalize_phones on tricky real-world inputs (RU and foreign)."""

from __future__ import annotations

import pandas as pd
import pytest

from data_quality.normalize.phones import normalize_phones, phone_e164

M, L, T, I, J = "mobile", "landline", "toll_free", "invalid", "junk"

CASES = [
    # raw, e164, kind, is_valid, reason
    ("8 (916) 482-17-35", "+79164821735", M, True, None),
    ("+7 916 482 17 35", "+79164821735", M, True, None),
    ("+7(916)4821735", "+79164821735", M, True, None),
    ("79164821735", "+79164821735", M, True, None),
    ("89164821735", "+79164821735", M, True, None),
    ("9164821735", "+79164821735", M, True, None),
    ("8-916-482-17-35", "+79164821735", M, True, None),
    ("8.916.482.17.35", "+79164821735", M, True, None),
    ("00 7 916 482 17 35", "+79164821735", M, True, None),
    ("810 7 916 482 17 35", "+79164821735", M, True, None),
    ("+8 916 482 17 35", "+79164821735", M, True, None),
    ("тел. +7 916 482-17-35", "+79164821735", M, True, None),
    ("+7 916 482 17 35 доб. 123", "+79164821735", M, True, None),
    ("8 916 482 17 35, 8 495 482 17 36", "+79164821735", M, True, "multiple_numbers"),
    ("79164821735.0", "+79164821735", M, True, None),
    ("+7 (495) 482-17-36", "+74954821736", L, True, None),
    ("8 (812) 315-43-21", "+78123154321", L, True, None),
    ("8 (3412) 52-34-56", "+73412523456", L, True, None),
    ("4954821736", "+74954821736", L, True, None),
    ("8-800-555-35-35", "+78005553535", T, False, "toll_free_company_line"),
    ("+7 800 200 06 00", "+78002000600", T, False, "toll_free_company_line"),
    ("+7 701 482 1735", "+77014821735", M, True, None),  # Kazakhstan
    ("87014821735", "+77014821735", M, True, None),
    ("+7 (727) 258 17 35", "+77272581735", L, True, None),  # Almaty
    ("+49 30 901820", "+4930901820", L, True, None),
    ("0049 30 901820", "+4930901820", L, True, None),
    ("+375 29 482-17-35", "+375294821735", M, True, None),
    ("+380 44 482 1735", "+380444821735", L, True, None),
    ("+44 20 7946 0958", "+442079460958", L, True, None),
    ("+1 (650) 253-0000", "+16502530000", M, True, None),
    ("11111", None, J, False, "repeated_digits"),
    ("711111", None, J, False, "repeated_digits"),
    ("0000000000", None, J, False, "repeated_digits"),
    ("+7 916 000-00-00", None, J, False, "repeated_digits"),
    ("79999999999", None, J, False, "placeholder"),
    ("89999999999", None, J, False, "placeholder"),
    ("+7 (999) 999-99-99", None, J, False, "placeholder"),
    ("1234567890", None, J, False, "placeholder"),
    ("8 912 345 67 89", None, J, False, "sequence"),
    ("+7 (495) 123-45-67", None, J, False, "sequence"),
    ("123-45-67", None, J, False, "sequence"),
    ("12345", None, J, False, "too_short"),
    ("482-17-35", None, J, False, "too_short"),
    ("нет", None, J, False, "not_a_number"),
    ("-", None, J, False, "not_a_number"),
    ("не указан", None, J, False, "not_a_number"),
    ("+7 612 482 17 35", None, I, False, "invalid_prefix"),
    ("89164821735 89164821736", None, I, False, "too_long"),
]


# A number written with its country code (+, 00 or 810) keeps its country; Russia is only the
# default for bare national numbers. The "123-45-67" subscriber is a junk habit of RU/KZ forms,
# a real subscriber elsewhere; the country code never takes part in the junk rules.
INTERNATIONAL = [
    ("+375 29 123-45-67", "+375291234567", M, True, None),
    ("+375291234567", "+375291234567", M, True, None),
    ("+375 (29) 612-45-67", "+375296124567", M, True, None),
    ("00 375 29 123-45-67", "+375291234567", M, True, None),
    ("810 375 29 123 45 67", "+375291234567", M, True, None),
    ("8 10 375 29 612 45 67", "+375296124567", M, True, None),
    ("+380 67 123 45 67", "+380671234567", M, True, None),
    ("00380 67 452 71 93", "+380674527193", M, True, None),
    ("+49 (0) 30 901820", "+4930901820", L, True, None),
    ("+49 151 23457891", "+4915123457891", M, True, None),
    ("810 49 30 901820", "+4930901820", L, True, None),
    ("+33 4 56 78 90 12", "+33456789012", L, True, None),  # "+33 4567890…" is no sequence
    ("+1 212 736 5000", "+12127365000", M, True, None),
    ("001 212 736 5000", "+12127365000", M, True, None),
    ("+7 701 234 56 78", None, J, False, "sequence"),  # Kazakhstan keeps the RU habit rule
    ("+7 (700) 312-45-80", "+77003124580", M, True, None),
    ("+375 29 777 77 77", None, J, False, "repeated_digits"),
    # bare national forms stay Russian
    ("9164821735", "+79164821735", M, True, None),
    ("89164821735", "+79164821735", M, True, None),
    ("79164821735", "+79164821735", M, True, None),
    ("375296124567", None, I, False, "invalid_number"),
]


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return normalize_phones(pd.Series([c[0] for c in CASES])).set_index("raw")


@pytest.mark.parametrize("raw,e164,kind,is_valid,reason", CASES, ids=[c[0] for c in CASES])
def test_phone_case(table, raw, e164, kind, is_valid, reason):
    row = table.loc[raw]
    assert (row["e164"], row["phone_kind"], bool(row["is_valid"]), row["reason"]) == (
        e164,
        kind,
        is_valid,
        reason,
    )


@pytest.mark.parametrize("raw,e164,kind,is_valid,reason", INTERNATIONAL, ids=[c[0] for c in INTERNATIONAL])
def test_international_shapes_keep_their_country(raw, e164, kind, is_valid, reason):
    (row,) = normalize_phones([raw]).itertuples(index=False)
    assert (row.e164, row.phone_kind, bool(row.is_valid), row.reason) == (e164, kind, is_valid, reason)


def test_kazakhstan_stays_kazakhstan():
    import phonenumbers

    out = normalize_phones(["+7 701 482 17 35", "8 701 482 17 35", "+7 727 258 46 31"])
    assert out["is_valid"].all()
    assert {phonenumbers.region_code_for_number(phonenumbers.parse(e)) for e in out["e164"]} == {"KZ"}


def test_subscriber_sequence_regions_are_configuration():
    cfg = {"subscriber_sequence_regions": ["RU", "KZ", "BY"]}
    out = normalize_phones(["+375 29 123-45-67", "+380 67 123 45 67"], config=cfg).set_index("raw")
    assert out.loc["+375 29 123-45-67", "reason"] == "sequence"
    assert out.loc["+380 67 123 45 67", "e164"] == "+380671234567"


def test_one_row_per_distinct_value_and_nulls_dropped():
    out = normalize_phones(pd.Series(["89164821735", None, "89164821735", float("nan"), "+79164821735"]))
    assert list(out["raw"]) == ["89164821735", "+79164821735"]
    assert list(out.columns) == ["raw", "e164", "phone_kind", "is_valid", "reason"]
    assert out["is_valid"].dtype == bool


def test_numeric_input_and_iterable():
    out = normalize_phones([79164821735.0, 9164821735])
    assert list(out["raw"]) == ["79164821735", "9164821735"]
    assert out["e164"].tolist() == ["+79164821735", "+79164821735"]


def test_empty_input():
    out = normalize_phones(pd.Series([], dtype=object))
    assert out.empty and list(out.columns) == ["raw", "e164", "phone_kind", "is_valid", "reason"]


def test_config_overrides_thresholds():
    cfg = {
        "phones": {
            "placeholders": [],
            "max_same_digit_run": 11,
            "sequence_min_length": 11,
            "subscriber_sequence_digits": 0,
        }
    }
    out = normalize_phones(["+7 (999) 999-99-99", "+7 (495) 123-45-67"], config=cfg).set_index("raw")
    assert out.loc["+7 (999) 999-99-99", "phone_kind"] == "junk"  # one distinct digit is always junk
    assert out.loc["+7 (495) 123-45-67", "e164"] == "+74951234567"
    toll = normalize_phones(["88005553535"], config={"toll_free_prefixes": ["801"]})
    assert toll.loc[0, "phone_kind"] == "landline"


def test_row_aligned_helper():
    s = pd.Series(["8 916 482 17 35", None, "11111"], index=[5, 6, 7])
    assert phone_e164(s).tolist() == ["+79164821735", None, None]
