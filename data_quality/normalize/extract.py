"""Find contact data buried in free text (CRM comments, ticket bodies, names).

``extract_contacts`` returns one row per match (long format): ``row`` (the index label of the
source text), ``kind`` ∈ {phone, email}, ``raw`` (the matched text), ``position`` (character
offset in the text), plus ``value`` (E.164 / cleaned address, None if unusable) and ``is_valid``
from :func:`normalize_phones` / :func:`normalize_emails`. Phones: Russian shapes only
(``+7``/``7``/``8`` + 10 digits with any ``( ) - .`` spacing, or a bare ``9xx`` mobile), not
inside longer digit runs (order numbers, INN) and not inside an e-mail address.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from data_quality.normalize.emails import normalize_emails
from data_quality.normalize.phones import normalize_phones

EMAIL_RE = re.compile(r"(?<![\w.+-])[\w.+'-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}(?![\w-])", re.UNICODE)
_SEP = r"[\s\-.]{0,2}"
PHONE_RE = re.compile(
    r"(?<![\w+])"
    r"(?:(?:\+\s?7|8|7)"
    + _SEP
    + r"\(?\s?\d{3}\s?\)?|\(\s?\d{3}\s?\)|9\d{2})"
    + _SEP
    + r"\d{3}"
    + _SEP
    + r"\d{2}"
    + _SEP
    + r"\d{2}"
    r"(?![\d])"
)
COLUMNS = ["row", "kind", "raw", "position", "value", "is_valid"]


def extract_contacts(texts: pd.Series, config: dict[str, Any] | None = None) -> pd.DataFrame:
    """Phones and e-mails found in each text of ``texts`` (long format, see module docstring)."""
    records: list[tuple[Any, str, str, int]] = []
    s = texts[texts.notna()] if isinstance(texts, pd.Series) else pd.Series(list(texts)).dropna()
    for label, text in s.items():
        text = str(text)
        if "@" in text:
            spans = []
            for m in EMAIL_RE.finditer(text):
                records.append((label, "email", m.group(0), m.start()))
                spans.append(m.span())
        else:
            spans = []
        for m in PHONE_RE.finditer(text):
            if any(a <= m.start() < b for a, b in spans):
                continue
            records.append((label, "phone", m.group(0).strip(), m.start()))
    out = pd.DataFrame.from_records(records, columns=["row", "kind", "raw", "position"])
    if out.empty:
        return pd.DataFrame(columns=COLUMNS)
    ph = normalize_phones(out.loc[out["kind"] == "phone", "raw"], config=config)
    em = normalize_emails(out.loc[out["kind"] == "email", "raw"], config=config)
    ph_val = dict(zip(ph["raw"], ph["e164"].where(ph["is_valid"], None)))
    em_val = dict(zip(em["raw"], em["email"].where(em["is_valid"], None)))
    out["value"] = [(ph_val if k == "phone" else em_val).get(r) for k, r in zip(out["kind"], out["raw"])]
    out["is_valid"] = out["value"].notna()
    return out.sort_values(["row", "position"], kind="stable").reset_index(drop=True)[COLUMNS]
