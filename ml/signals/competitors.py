"""Competitor names found by construction, not only by list.

A named organisation in a comparative or switching construction («у Контура дешевле», "X offers
the same for half the price", «Битрикс предложил бесплатный переезд», «тестируем Мегаплан», "moving
to Y") is a competitor even when nobody put it in `competitors`. The constructions are regexes
over the lower-cased text with a ``{name}`` slot (config `competitor_patterns.constructions`);
the slot itself needs the original case (capitalised, quoted, mixed-case or, in Russian text, a
Latin token), so a cheap gate on the normalised text decides first whether the case-preserving
pass runs at all. Names are normalised (quotes and legal form dropped, Cyrillic case endings to
the pymorphy3 normal form, configured aliases to their canonical name) and filtered (our own
names, months, weekdays, pronouns, people and places, sentence-initial common words).
"""
from __future__ import annotations

import re
from collections.abc import Callable

from .gated import GatedPatterns

_TRANS_CASED = str.maketrans({"ё": "е", "Ё": "Е", "’": "'", "‘": "'", "`": "'", "ʼ": "'", "\u00a0": " ",
                              "“": '"', "”": '"', "„": '"', "—": "-", "–": "-"})
# the slot, matched case-sensitively inside case-insensitive constructions
_QUOTED = r'«[^»"]{1,60}»|"[^"«»]{1,60}"'
_CAP = r"(?:[A-ZА-Я0-9][\w.+&'-]*[\w+]|[A-ZА-Я])"
_MIXED = r"[a-zа-я]+[A-ZА-Я][\w.+&-]*[\w+]"
_LOWLAT = r"[a-z][a-z0-9]*(?:[.+-][a-z0-9]+)*"
_LEGAL_SLOT = r"(?:(?:ООО|ОАО|ЗАО|ПАО|АО|НКО|АНО|ИП|LLC|Ltd|Inc|GmbH)\.? )"
_NAME = (rf"(?:{_LEGAL_SLOT}?(?:{_QUOTED}|(?:{_CAP}|{_MIXED})(?: {_CAP}){{0,2}})|{_LOWLAT})")
SLOT = rf"(?-i:(?P<name>{_NAME}))"
_MORE = re.compile(rf"(?:,| и| или| and| or|,? а также)(?: ещё| еще)? ({_NAME})")
_SENT_START = re.compile(r"(?:^|[.!?] )$")
_HAS_LETTER = re.compile(r"[^\W\d_]")
_POS_REJECT = {"NPRO", "VERB", "INFN", "ADVB", "PRTF", "PRTS", "PREP", "CONJ", "PRCL", "INTJ", "ADJF", "ADJS",
               "COMP", "GRND", "NUMR", "PRED"}
_POSSESSIVE = frozenset({"ваш", "ваша", "ваше", "ваши", "вашего", "вашей", "вашу", "наш", "наша", "наше", "наши",
                         "нашего", "нашей", "нашу", "your", "our", "their", "its"})
_PEOPLE_PLACES = {"Name", "Surn", "Patr", "Geox"}


def cased_normalize(text: str) -> str:
    """The normalised text without lower-casing (same quotes, ё, whitespace as ``normalize``)."""
    return " ".join(text.translate(_TRANS_CASED).split())


class CompetitorPatterns:
    """Competitor names from constructions; ``gate`` on the normalised text, ``find`` on the cased one."""

    def __init__(self, cfg: dict, aliases: list[tuple[str, str]], parse: Callable[[str], object]):
        self.enabled = bool(cfg["enabled"])
        cons = [(str(k), str(c)) for k, v in cfg["constructions"].items() for c in v] if self.enabled else []
        self.kind_penalty = {str(k): float(v) for k, v in cfg["kind_penalty"].items()}
        # gate: the construction with a loose slot over the lower-cased text (literals gate it)
        self.gate_re = GatedPatterns([(str(i), c.replace("{name}", r"[\"«]?\w[^ ]*(?: [^ ]+){0,4}?"))
                                      for i, (_k, c) in enumerate(cons)])
        self.cased_res = [(k, re.compile(c.replace("{name}", SLOT), re.IGNORECASE)) for k, c in cons]
        self.legal = frozenset(str(x).lower() for x in cfg["legal_forms"])
        self.stop = frozenset(str(x).lower().replace("ё", "е") for x in cfg["stop_words"])
        self.stop_re = re.compile(str(cfg["stop_pattern"]), re.IGNORECASE) if cfg["stop_pattern"] else None
        self.own = frozenset(self._key(str(x)) for x in cfg["own_names"])
        self.max_words = int(cfg["max_name_words"])
        self.aliases = [(canon, re.compile(rf"(?:{a})")) for canon, a in aliases]
        self._parse = parse
        self._word_cache: dict[str, tuple[str, str, bool]] = {}

    @staticmethod
    def _key(name: str) -> str:
        return " ".join(re.sub(r"[\"«»'.\-]", " ", name.lower().replace("ё", "е")).split())

    def triggered(self, norm: str, present: set[str]) -> tuple[int, ...]:
        """Indices of the constructions whose loose form matches the normalised text (empty: none)."""
        return tuple(sorted({int(k) for k, _m in self.gate_re.finditer(norm, present)}))

    # ---------------------------------------------------------------- names
    def _word(self, word: str) -> tuple[str, str, bool]:
        """(normal form with the original casing, POS, is a person/place) of one Cyrillic word."""
        hit = self._word_cache.get(word)
        if hit is None:
            low = word.lower()
            p = self._parse(low)
            lemma = p.normal_form.replace("ё", "е")
            k = 0
            while k < min(len(low), len(lemma)) and low[k] == lemma[k]:
                k += 1
            recased = word[:k] + lemma[k:] if k else lemma.capitalize() if word[:1].isupper() else lemma
            tags = set(str(p.tag).replace(" ", ",").split(","))
            known = bool(getattr(p, "is_known", True))
            hit = (recased, str(p.tag.POS or ("LATN" if "LATN" in tags else "")) if known else "UNKN",
                   bool(tags & _PEOPLE_PLACES))
            self._word_cache[word] = hit
        return hit

    def _clean(self, raw: str, start: int, cased: str, lang: str) -> str | None:
        """Normalised organisation name, or None when the slot holds no organisation."""
        quoted = False
        s = raw.strip()
        words = s.split(" ")
        while words and words[0].strip(".").lower() in self.legal:
            words = words[1:]
        s = " ".join(words)
        if s[:1] in "«\"":
            quoted = True
            s = s.strip("«»\" ")
        if s.endswith("'s"):
            s = s[:-2]
        words = [w for w in s.split(" ") if w]
        while words and words[-1].strip(".").lower() in self.legal:
            words = words[:-1]
        if not words or not _HAS_LETTER.search(s) or len(words) > self.max_words + (2 if quoted else 0):
            return None
        if not quoted:
            if words[0].islower() and (lang != "ru" or _HAS_LETTER.search(words[0]) is None
                                       or re.search("[а-я]", words[0])):
                return None                         # lowercase only as a Latin token in Russian text
            first = words[0].lower()
            # a stop word alone, or opening a name as a possessive («Ваш тариф», "Our team"); «Мой Склад» stays
            if all(w.lower() in self.stop for w in words) or (first in self.stop and (
                    len(words) == 1 or first in _POSSESSIVE)):
                return None
            if self.stop_re is not None and self.stop_re.fullmatch(words[0]):
                return None
        out = []
        initial = _SENT_START.search(cased[:start]) is not None
        for i, w in enumerate(words):
            if re.fullmatch(r"[А-Яа-я]+(?:-[А-Яа-я]+)?", w):
                recased, pos, person_place = self._word(w)
                if not quoted:
                    if person_place or (len(words) == 1 and recased.lower() in self.stop):
                        return None
                    if len(words) == 1 and pos in _POS_REJECT:
                        return None
                    if i == 0 and initial and len(words) == 1 and pos not in ("UNKN", ""):
                        return None             # a known word opening a sentence: «Банк предложил …»
                out.append(recased)
            else:
                out.append(w)
        name = " ".join(out)
        key = self._key(name)
        if not key or any(key == own or key.startswith(own + " ") for own in self.own):
            return None                 # our company or one of its products («ClientPulse Enterprise»)
        for canon, rx in self.aliases:
            if rx.fullmatch(key) or rx.fullmatch(name.lower()):
                return canon
        return name

    def find(self, cased: str, lang: str, which: tuple[int, ...] | None = None) -> list[tuple[str, str, str]]:
        """[(name, phrase, kind)] in pattern order; names deduplicated case-insensitively.
        ``which``: only these constructions (those ``triggered`` found), else all."""
        out: list[tuple[str, str, str]] = []
        seen: set[str] = set()
        for i in range(len(self.cased_res)) if which is None else which:
            kind, rx = self.cased_res[i]
            for m in rx.finditer(cased):
                cands = [(m.group("name"), m.start("name"))]
                pos = m.end("name")
                while True:
                    more = _MORE.match(cased, pos)
                    if more is None:
                        break
                    cands.append((more.group(1), more.start(1)))
                    pos = more.end(1)
                for raw, start in cands:
                    name = self._clean(raw, start, cased, lang)
                    if name is None or name.lower() in seen:
                        continue
                    seen.add(name.lower())
                    out.append((name, m.group(0).lower(), kind))
        return out
