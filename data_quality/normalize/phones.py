"""Phone normalisation: raw text → E.164, kind and usability.

Every DISTINCT non-null input is classified once. Common Russian shapes (``8 (912) 345-67-89``,
``+7 912…``, bare ``9123456789``, ``810 7…``, ``00 7…``) go through a digit-only fast path
without :mod:`phonenumbers`; everything else (foreign numbers, ``+7 7xx`` Kazakhstan) is parsed
by :mod:`phonenumbers`. Junk rules (repeated digits, sequences, placeholders, too short) apply
to both paths and come from ``config/normalization.yaml`` → ``phones``.

Russia is only the default for bare national numbers: a number written with its country code
(``+375…``, ``00 375…``, ``810 375…``) keeps its country, and the junk rules then look at its
national part only (the country code never makes a "sequence").

Output columns: ``raw``, ``e164`` (None unless the number is a well-formed number of a known
kind), ``phone_kind`` ∈ {mobile, landline, toll_free, invalid, junk}, ``is_valid`` (a usable
personal contact: mobile or landline), ``reason`` (None or why it is not usable / a note such
as ``multiple_numbers``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import pandas as pd

from data_quality.normalize._common import config_section, distinct_non_null, to_text

COLUMNS = ["raw", "e164", "phone_kind", "is_valid", "reason"]
KINDS = ("mobile", "landline", "toll_free", "invalid", "junk")

_NON_DIGIT = re.compile(r"\D+")
_HAS_DIGIT = re.compile(r"\d")
_EXCEL_FLOAT = re.compile(r"^(\+?\d{6,})\.0+$")  # "79164821735.0" from a spreadsheet

_ASC = "01234567890"
_DESC = "98765432109"


class _Rules:
    """Config compiled once per call."""

    def __init__(self, cfg: dict[str, Any], default_region: str | None) -> None:
        self.region = (default_region or cfg["default_region"]).upper()
        self.min_digits = int(cfg["min_digits"])
        self.max_digits = int(cfg["max_digits"])
        self.max_run = int(cfg["max_same_digit_run"])
        self.seq_len = int(cfg["sequence_min_length"])
        self.sub_len = int(cfg["subscriber_sequence_digits"])
        self.sub_regions = {str(r).upper() for r in cfg["subscriber_sequence_regions"] or [self.region]}
        self.placeholders = {re.sub(r"\D", "", str(p)) for p in cfg["placeholders"]}
        self.toll_free = tuple(str(p) for p in cfg["toll_free_prefixes"])
        self.mobile_first = tuple(str(p) for p in cfg["mobile_first_digits"])
        self.landline_first = tuple(str(p) for p in cfg["landline_first_digits"])
        ext = cfg["extension_pattern"]
        self.ext_re = re.compile(ext, re.IGNORECASE) if ext else None
        seps = list(cfg["multi_separators"])
        self.multi_re = re.compile("|".join(re.escape(s) for s in seps), re.IGNORECASE) if seps else None
        self.runs = tuple(str(d) * self.max_run for d in range(10))
        n = self.seq_len
        m = self.sub_len
        self.sub_seqs = {_ASC[i : i + m] for i in range(len(_ASC) - m + 1)} | {
            _DESC[i : i + m] for i in range(len(_DESC) - m + 1)
        }
        self.seqs = tuple(
            {_ASC[i : i + n] for i in range(len(_ASC) - n + 1)}
            | {_DESC[i : i + n] for i in range(len(_DESC) - n + 1)}
        )

    def junk_reason(self, national: str, region: str | None = None) -> str | None:
        """Junk rules on the national significant number (digits without country code).

        ``region`` is the number's country (None: the default region); the subscriber-sequence
        rule only applies in ``subscriber_sequence_regions``.
        """
        if national in self.placeholders:
            return "placeholder"
        if len(set(national)) == 1 or any(r in national for r in self.runs):
            return "repeated_digits"
        if any(s in national for s in self.seqs):
            return "sequence"
        if (self.sub_len and len(national) >= self.sub_len and national[-self.sub_len :] in self.sub_seqs
                and (region or self.region) in self.sub_regions):
            return "sequence"
        return None


def _result(e164: str | None, kind: str, reason: str | None) -> tuple[str | None, str, bool, str | None]:
    return (e164, kind, kind in ("mobile", "landline"), reason)


def _ru_national(national: str, rules: _Rules) -> tuple[str | None, str, bool, str | None]:
    """Classify a 10-digit Russian national number (fast path)."""
    junk = rules.junk_reason(national)
    if junk:
        return _result(None, "junk", junk)
    if national.startswith(rules.toll_free):
        return _result("+7" + national, "toll_free", "toll_free_company_line")
    first = national[0]
    if first in rules.mobile_first:
        return _result("+7" + national, "mobile", None)
    if first in rules.landline_first:
        return _result("+7" + national, "landline", None)
    return _result(None, "invalid", "invalid_prefix")


_PN_KIND: dict[str, tuple[str, str | None]] = {}


def _pn_kind_map() -> dict[int, tuple[str, str | None]]:
    from phonenumbers import PhoneNumberType as T

    return {
        T.MOBILE: ("mobile", None),
        T.FIXED_LINE: ("landline", None),
        T.FIXED_LINE_OR_MOBILE: ("mobile", None),
        T.VOIP: ("mobile", None),
        T.PERSONAL_NUMBER: ("mobile", None),
        T.TOLL_FREE: ("toll_free", "toll_free_company_line"),
        T.PREMIUM_RATE: ("toll_free", "premium_rate_company_line"),
        T.SHARED_COST: ("toll_free", "shared_cost_company_line"),
        T.UAN: ("toll_free", "company_line"),
        T.PAGER: ("invalid", "pager"),
        T.VOICEMAIL: ("invalid", "voicemail"),
    }


class _SlowPath:
    """phonenumbers-based classification, imported lazily."""

    def __init__(self, rules: _Rules) -> None:
        import phonenumbers

        self.pn = phonenumbers
        self.rules = rules
        self.kinds = _pn_kind_map()

    def __call__(self, text: str) -> tuple[str | None, str, bool, str | None]:
        pn = self.pn
        try:
            num = pn.parse(text, self.rules.region)
        except pn.NumberParseException:
            return _result(None, "invalid", "not_a_number")
        national = str(num.national_number)
        if len(national) < 6:
            return _result(None, "junk", "too_short")
        junk = self.rules.junk_reason(national, pn.region_code_for_number(num))
        if junk:
            return _result(None, "junk", junk)
        if not pn.is_valid_number(num):
            reason = "too_short" if not pn.is_possible_number(num) and len(national) < 8 else "invalid_number"
            return _result(None, "invalid", reason)
        e164 = pn.format_number(num, pn.PhoneNumberFormat.E164)
        kind, reason = self.kinds.get(pn.number_type(num), ("invalid", "unknown_type"))
        return _result(e164 if kind != "invalid" else None, kind, reason)


def _classify(
    raw: str, rules: _Rules, slow: list[_SlowPath | None]
) -> tuple[str | None, str, bool, str | None]:
    text = _EXCEL_FLOAT.sub(r"\1", raw.strip())
    note: str | None = None
    if rules.multi_re is not None and rules.multi_re.search(text):
        parts = [p for p in rules.multi_re.split(text) if _HAS_DIGIT.search(p)]
        if len(parts) > 1:
            note = "multiple_numbers"
            text = parts[0].strip()
    if rules.ext_re is not None:
        text = rules.ext_re.sub("", text)
    digits = _NON_DIGIT.sub("", text)
    if not digits:
        return _result(None, "junk", "not_a_number")
    plus = text.lstrip(" (\t").startswith("+")
    n = len(digits)

    # International prefixes written as digits: 00 CC… and 810 CC… → +CC…
    if not plus and digits.startswith("00") and n > 4:
        digits, plus, n = digits[2:], True, n - 2
    elif not plus and digits.startswith("810") and n >= 13:
        digits, plus, n = digits[3:], True, n - 3

    national: str | None = None
    if plus:
        if n == 11 and digits[0] == "7" and digits[1] != "7":
            national = digits[1:]
        elif n == 11 and digits[0] == "8" and digits[1] == "9":
            national = digits[1:]  # "+8 9xx…": country code typed as the trunk prefix
    else:
        if n == 11 and digits[0] in "78" and digits[1] != "7":
            national = digits[1:]
        elif n == 10 and digits[0] in "3489":
            national = digits

    if national is not None and rules.region == "RU":
        res = _ru_national(national, rules)
    else:
        # Junk that phonenumbers would merely call invalid (or, for placeholders, valid). A number
        # with its country code is checked after parsing, on its own national part and country
        # (one digit repeated is junk in any country).
        core = digits[1:] if n > 1 and not plus and digits[0] in "78" else digits
        junk = rules.junk_reason(core) if not plus or len(set(digits)) == 1 else None
        if junk:
            res = _result(None, "junk", junk)
        elif n < min(rules.min_digits, 8) or (not plus and n < rules.min_digits):
            res = _result(None, "junk", "too_short")
        elif n > rules.max_digits:
            res = _result(None, "invalid", "too_long")
        else:
            if slow[0] is None:
                slow[0] = _SlowPath(rules)
            if plus:
                candidate = "+" + digits
            elif n == 11 and digits[0] in "78":  # +7 7xx (Kazakhstan) written with 8/7
                candidate = "+7" + digits[1:]
            elif n == 10 and digits[0] == "7":
                candidate = "+7" + digits
            else:
                candidate = text
            res = slow[0](candidate)
    if note and res[2]:
        return (res[0], res[1], res[2], note)
    return res


def normalize_phones(
    values: pd.Series | Iterable[str | None],
    default_region: str | None = None,
    config: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """Normalise phone numbers; one output row per DISTINCT non-null input value.

    Join the result back on ``raw`` (e.g. ``df.merge(out, left_on="phone", right_on="raw")`` or
    ``df["phone"].map(out.set_index("raw")["e164"])``). Integral floats (``79123456789.0``) are
    read as their integer text. ``config`` is the whole ``normalization.yaml`` dict or its
    ``phones`` section; missing keys fall back to the loaded config. ``default_region`` None:
    ``phones.default_region`` of the config.
    """
    rules = _Rules(config_section("phones", config), default_region)
    slow: list[_SlowPath | None] = [None]
    raws = distinct_non_null(values)
    rows = [(raw, *_classify(raw, rules, slow)) for raw in raws]
    out = pd.DataFrame.from_records(rows, columns=COLUMNS)
    out["is_valid"] = out["is_valid"].astype(bool)
    return out


def phone_e164(
    values: pd.Series, default_region: str | None = None, config: dict[str, Any] | None = None
) -> pd.Series:
    """Row-aligned convenience: E.164 of each usable value (None otherwise), same index."""
    table = normalize_phones(values, default_region, config)
    lookup = dict(zip(table["raw"], table["e164"].where(table["is_valid"], None)))
    return values.map(lambda v: lookup.get(to_text(v)) if pd.notna(v) else None)
