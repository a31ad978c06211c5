"""Cyrillic → ASCII transliteration and the fuzzy-matching name key.

``translit`` is one fixed GOST-like table (ё → e, х → kh, ц → ts, щ → shch, ы → y, ъ/ь dropped,
ю → yu, я → ya). ``name_token_key`` then folds the spellings Russians use when they write
their names in Latin letters, so ``Иван``/``Ivan``, ``Юлия``/``Julia``/``Yulia``,
``Алексей``/``Alexey``/``Aleksei``, ``Фёдор``/``Fyodor``, ``Евгений``/``Yevgeny``/``Evgeniy`` and
``Хабибуллин``/``Habibullin`` get the same ASCII key:

    x → ks, shch/sch → sch, tch → ch, kh → h, ph → f, w → v, q → k, ck → k, c (not ch) → k,
    tc/tz → ts, yo/ye → e, ie → e, j → y, y → i, doubled letters
    collapse (ii → i, nn → n)

The key is ASCII only (DuckDB string distances count UTF-8 bytes: a Cyrillic letter is two) and
is meant for matching, never for display.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_TABLE = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z",
    "и": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh",
    "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya",
    # Ukrainian / Belarusian letters
    "і": "i", "ї": "i", "є": "e", "ґ": "g", "ў": "u",
}  # fmt: skip
_TRANS = str.maketrans({**_TABLE, **{k.upper(): v for k, v in _TABLE.items()}})

_FOLDS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p), r)
    for p, r in [
        (r"shch", "sch"),
        (r"tch", "ch"),
        (r"x", "ks"),
        (r"kh", "h"),
        (r"ph", "f"),
        (r"w", "v"),
        (r"q", "k"),
        (r"ck", "k"),
        (r"c(?!h)", "k"),
        (r"t[cz](?!h)", "ts"),
        (r"y[oe]", "e"),
        (r"ie", "e"),
        (r"j", "y"),
        (r"y", "i"),
        (r"([a-z])\1+", r"\1"),
    ]
]
_NON_ALPHA = re.compile(r"[^a-z]+")


def translit(text: str) -> str:
    """Lower-case ASCII transliteration of Cyrillic text (Latin passes through, diacritics dropped)."""
    out = text.lower().translate(_TRANS)
    if not out.isascii():
        out = unicodedata.normalize("NFKD", out).encode("ascii", "ignore").decode("ascii")
    return out


@lru_cache(maxsize=200_000)
def name_token_key(token: str) -> str:
    """ASCII matching key of one name token (Cyrillic or Latin), see module docstring."""
    key = _NON_ALPHA.sub("", translit(token))
    for pattern, repl in _FOLDS:
        key = pattern.sub(repl, key)
    return key
