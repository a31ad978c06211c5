"""Address, city and postcode matching keys (ASCII, for fuzzy comparison only, never display).

``address_parts("ул. Школьная, д. 114, кв. 110")`` → house ``114``, flat ``110``, street key
``shkolnaia``; ``"177 pridham street, milton"`` → house ``177``, street key ``milton pridham`` (words sorted).
Street-type words (ул., улица, пр-т, street, st, road …) and unit markers (д., кв., unit, flat …)
are dropped from the street key so that «ул. Школьная 114» and «Школьная ул., д. 114» agree.
The key is transliterated (Cyrillic → ASCII) because DuckDB's string distances count bytes.
"""

from __future__ import annotations

import re
from functools import lru_cache

import pandas as pd

from data_quality.normalize._common import distinct_non_null, fold_yo, to_text
from data_quality.normalize.translit import translit

# street types, settlement prefixes and unit words that say nothing about *which* street
STREET_WORDS = frozenset("""
ul ulitsa pr prt prosp prospekt per pereulok pl ploshchad bul bulvar b r shosse sh nab naberezhnaia
proezd pr-d tup tupik alleia mkr mkrn mikroraion kvartal liniia trakt doroga g gor gorod pos poselok
s selo d dom k korp korpus str stroenie kv kvartira of ofis pom pomeshchenie lit litera vl vladenie
street st road rd place pl avenue ave av drive dr court ct crescent cres lane ln way terrace tce
parade pde close cl circuit cct boulevard blvd highway hwy square sq grove gr parkway pkwy
unit u flat apt apartment suite ste lot level lvl building bldg no nr
""".split())
# a number right after one of these is a flat / unit, not the house
UNIT_WORDS = frozenset("kv kvartira of ofis pom pomeshchenie unit flat apt apartment suite ste lot level lvl".split())
HOUSE_WORDS = frozenset("d dom no nr vl vladenie".split())
CITY_PREFIXES = frozenset("g gor gorod pgt pos poselok s selo d derevnia st stanitsa city town".split())
_TOKEN = re.compile(r"[a-z0-9]+")
_NUM = re.compile(r"^\d+[a-z0-9]{0,3}$")


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(translit(fold_yo(text)))


@lru_cache(maxsize=500_000)
def address_parts(text: str) -> tuple[str | None, str | None, str | None]:
    """(house number, flat, street key) of one free-text address; None where absent."""
    toks = _tokens(text)
    house = flat = None
    words: list[str] = []
    prev = ""
    for tok in toks:
        if _NUM.match(tok):
            if prev in UNIT_WORDS or (house is not None and flat is None and prev not in HOUSE_WORDS):
                flat = flat or tok
            elif house is None:
                house = tok
        elif not tok.isdigit() and tok not in STREET_WORDS and len(tok) > 1:
            words.append(tok)
        prev = tok
    # sorted: "6 nunkeri, lhotsky street" and "6 lhotsky street, nunkeri" are one street key
    return house, flat, (" ".join(sorted(set(words))) or None)


@lru_cache(maxsize=100_000)
def city_key(text: str) -> str | None:
    toks = [t for t in _tokens(text) if not t.isdigit()]
    while len(toks) > 1 and toks[0] in CITY_PREFIXES:
        toks = toks[1:]
    return " ".join(toks) or None


def postcode_key(value: object) -> str | None:
    """Upper-case letters and digits only; a numeric postcode read as a number loses its '.0'."""
    text = to_text(value).strip()
    text = re.sub(r"\.0+$", "", text)
    key = re.sub(r"[^0-9A-Za-z]", "", text).upper()
    return key or None


def address_keys(addresses: pd.Series) -> pd.DataFrame:
    """Distinct-value lookup: address → house_number, flat, street_key (one row per distinct address)."""
    values = distinct_non_null(addresses)
    rows = [(v, *address_parts(v)) for v in values]
    return pd.DataFrame(rows, columns=["address", "house_number", "flat", "street_key"])
