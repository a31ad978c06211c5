"""Per-text signal engine: language, tone, register and risk markers with evidence.

Built once per config (regexes compiled, lexicon merged) and reused for millions of texts.
Speed comes from: one normalisation pass, a regex tokeniser (razdel is ~60 µs/text, too slow
for 20k texts/s), a token -> lemma cache shared by all texts (pymorphy3 is ~40 µs/token, so
each DISTINCT token is parsed once), one combined regex per marker, and a VADER result cache.
"""
from __future__ import annotations

import json
import math
import re
from typing import Any

from clientpulse_config import load
from clientpulse_config.sections import SIGNAL_MARKERS as MARKERS

from . import lexicon_ru as lx
from .competitors import CompetitorPatterns, cased_normalize
from .gated import GatedPatterns, LiteralScanner
from .sarcasm import SarcasmRules

_WS_RE = re.compile(r"\s+")
_TRANS = str.maketrans({"ё": "е", "’": "'", "‘": "'", "`": "'", "ʼ": "'", "\u00a0": " ", "“": '"', "”": '"',
                        "—": "-", "–": "-"})
_TOKEN_RE = re.compile(r"[а-яa-z0-9]+(?:-[а-яa-z]+)*|[.,!?;:]")
_CYR_RE = re.compile(r"[а-яё]", re.IGNORECASE)
_LAT_RE = re.compile(r"[a-z]", re.IGNORECASE)
_LETTER_RE = re.compile(r"[^\W\d_]")
_EN_STOP_RE = re.compile(
    r"\b(?:the|and|is|are|you|your|we|our|to|of|for|this|that|with|have|has|not|please|thanks|thank|it|i|my|"
    r"can|will|was|be|on|in|hi|hello|regards|a|an|let's|lets|what|how|why|when|where|there|us|me|do|does|did|"
    r"no|yes|would|could|should|if|or|but|from|at|by|as|about|just|looks|need|again|still|down|great|sure|yet)\b")
_PUNCT = frozenset(".,!?;:")
_DEL_CYR = dict.fromkeys(range(0x430, 0x450))            # а..я (text is lower-cased, ё folded)
_DEL_LAT = dict.fromkeys(range(ord("a"), ord("z") + 1))
_DEL_COMMON = dict.fromkeys(list(range(0x250)) + list(range(0x400, 0x460)) + list(range(0x2000, 0x2070))
                            + list(range(0x20A0, 0x20C0)) + list(range(0x2100, 0x2200)) + list(range(0x1F000, 0x1FB00)))
_NON_RU_CYR_RE = re.compile(r"[іїєґўқғңүұһәө]")
_ACCENTED_RE = re.compile(r"[à-öø-ÿ]")
_NEG_LOOKBACK_RE = re.compile(
    r"\b(?:не|нет|ни|no|not|never|don't|dont|doesn't|didn't|won't|без)\b(?! (?:могу|можем|может|могли|получается|"
    r"получилось|удается|удалось|выходит|работает|can|able|work))")
_CLAUSE_BREAK_RE = re.compile(r"[.!?;:,]")
_CONDITION_RE = re.compile(r"\b(?:если|пока|if|unless|until)\b")
# fast paths (exactly equivalent to the translate() based definitions above)
_TRANS_ANY_RE = re.compile("[" + re.escape("".join(chr(c) for c in _TRANS)) + "]")
_CYR_NOT_RU_RE = re.compile("[\u0400-\u042f\u0450-\u047f]")       # U+0400..U+047F minus а..я
_LAT_BYTES = bytes(range(ord("a"), ord("z") + 1))
_OTHER_SCRIPT_RE = re.compile(                                         # complement of _DEL_COMMON
    "[^\x00-\u024f\u0400-\u045f\u2000-\u206f\u20a0-\u20bf\u2100-\u21ff\U0001F000-\U0001FAFF]")
_FILLER_WORDS = ("пожалуйста", "плиз", "please", "kindly")
# token kinds for the Russian valence loop (precedence as in raw_valence_ru)
_K_OTHER, _K_PUNCT, _K_NEG, _K_PRIV, _K_CONTRAST, _K_LEX, _K_INTENS, _K_TRANSP = range(8)
_ALPHA = 15.0
# politeness fillers are dropped before marker matching: «верните, пожалуйста, деньги» = «верните деньги»
_EN_FILLER_RE = re.compile(
    r"\b(?:good (?:morning|afternoon|evening|day)|(?:kind|best|warm) regards|dear)\b", re.IGNORECASE)
_FILLER_RE = re.compile(r",? ?\b(?:пожалуйста|плиз|please|kindly)\b,?(?= |$)")


def normalize(text: str) -> str:
    """Lower case, ё→е, plain quotes, single spaces."""
    s = text.lower()
    if _TRANS_ANY_RE.search(s) is not None:
        s = s.translate(_TRANS)
    # str.split() and re's \s both use Py_UNICODE_ISSPACE: same as _WS_RE.sub(" ", s).strip()
    return " ".join(s.split())


def _alternation(patterns: list[str]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns))


class SignalEngine:
    """Scores single texts. Thread-unsafe caches; one instance per process."""

    def __init__(self, config: dict | None = None):
        self.cfg = load("signals", config)
        cfg = self.cfg
        self.neg_below = float(cfg["tone"]["negative_below"])
        self.pos_above = float(cfg["tone"]["positive_above"])
        self.penalty = {k: float(v) for k, v in cfg["tone"]["marker_penalty"].items()}
        self.lexicon = dict(lx.LEXICON)
        self.lexicon.update({k.replace("ё", "е"): float(v) for k, v in cfg["tone"]["lexicon_extra"].items()})
        self.phrase_re = GatedPatterns([(f"p{i}", p) for i, (p, _) in enumerate(lx.PHRASES)])
        self.phrase_val = {f"p{i}": v for i, (_, v) in enumerate(lx.PHRASES)}
        self.smile_re = re.compile(lx.SMILE_RE)
        self.en_phrase_re = GatedPatterns([(f"p{i}", p) for i, (p, _) in enumerate(lx.EN_PHRASES)])
        self.en_phrase_val = {f"p{i}": v for i, (_, v) in enumerate(lx.EN_PHRASES)}
        self.vader_overrides = dict(cfg["tone"]["vader_overrides"])
        self.sad_re = re.compile(lx.SAD_RE)

        markers = {k: list(v) for k, v in cfg["markers"].items()}
        for k, extra in cfg["markers_extra"].items():
            markers.setdefault(k, []).extend(extra)
        self.marker_res = GatedPatterns([(k, p) for k, v in markers.items() for p in v])
        self.negatable = frozenset(cfg["negatable"])
        self.neg_window = int(cfg["negation_window_chars"])

        comp_parts = []
        for name, aliases in cfg["competitors"].items():
            comp_parts += [(str(name), rf"\b(?:{alias})\b") for alias in aliases]
        generic_name = cfg["competitor_generic_name"]
        comp_parts += [(generic_name, rf"\b(?:{p})") for p in cfg["competitor_generic"]]
        self.comp_re = GatedPatterns(comp_parts) if comp_parts else None
        aliases = [(str(name), str(a)) for name, al in cfg["competitors"].items() for a in al]
        self.listed_names = frozenset(str(name) for name in cfg["competitors"]) | {generic_name}
        self.comp_patterns = CompetitorPatterns(cfg["competitor_patterns"], aliases, self._parse)
        self.sarcasm = SarcasmRules(cfg["sarcasm"])
        # one literal scan per text shared by every pattern set
        gated = [g for g in (self.phrase_re, self.en_phrase_re, self.marker_res, self.comp_re,
                             self.comp_patterns.gate_re, self.sarcasm.openers) if g is not None]
        self.scanner = LiteralScanner(frozenset().union(*(g.keys for g in gated)))
        for g in gated:
            g.scanner = self.scanner

        reg = cfg["register"]
        self.reg_words: dict[str, tuple[str, float]] = {}
        self.reg_phrases: list[tuple[str, str, float]] = []
        for kind in ("formal", "informal"):
            for w, weight in reg[kind]["words"].items():
                self.reg_words[str(w)] = (kind, float(weight))
            for ph, weight in reg[kind]["phrases"].items():
                self.reg_phrases.append((str(ph), kind, float(weight)))
        self.emoticon_re = re.compile(reg["emoticons"])
        self.emoticon_weight = float(reg["emoticon_weight"])

        self.min_letters = int(cfg["language"]["min_letters"])
        self.cyr_share = float(cfg["language"]["cyrillic_share_ru"])

        self._lemmas: dict[str, str] = {}
        self._morph = None
        self._vader = None
        self._vader_cache: dict[str, float] = {}
        self._vader_cache_size = int(cfg["vader_cache_size"])
        self._tok_info: dict[str, tuple[int, float]] = {}
        self._norm_cache: dict[str, tuple] = {}
        self._norm_cache_size = int(cfg["norm_cache_size"])
        self._cased_cache: dict[str, tuple] = {}

    # ------------------------------------------------------------------ language
    def language(self, text: str, norm: str | None = None) -> str:
        """ru / en / other from the script mix (character deletion counts, C speed)."""
        norm = normalize(text) if norm is None else norm
        b = norm.encode("utf-8", "surrogatepass")
        # U+0400..U+047F are the only characters whose UTF-8 lead byte is D0/D1 (never a continuation byte)
        cyr = b.count(b"\xd0") + b.count(b"\xd1")
        if cyr:
            cyr -= len(_CYR_NOT_RU_RE.findall(norm))      # keep а..я only
        lat = len(b) - len(b.translate(None, _LAT_BYTES))
        other = len(_OTHER_SCRIPT_RE.findall(norm))       # letters of other scripts (+ rare symbols)
        letters = cyr + lat + other
        if letters < self.min_letters:
            return "other"
        if cyr / letters >= self.cyr_share:
            return "other" if _NON_RU_CYR_RE.search(norm) else "ru"
        if lat / letters >= 0.5:
            if len(_ACCENTED_RE.findall(norm)) > max(1.0, 0.02 * lat):
                return "other"
            if lat < 12 or _EN_STOP_RE.search(norm):
                return "en"
        return "other"

    # ------------------------------------------------------------------ lemmas
    def lemma(self, token: str) -> str:
        lem = self._lemmas.get(token)
        if lem is None:
            if token[0] < "а" or token[0] > "я":   # latin / digits: as is
                lem = token
            else:
                if self._morph is None:
                    import pymorphy3
                    self._morph = pymorphy3.MorphAnalyzer()
                lem = self._morph.parse(token)[0].normal_form.replace("ё", "е")
            self._lemmas[token] = lem
        return lem

    def _parse(self, word: str):
        """pymorphy3 best parse of a lower-case word (for competitor-name normalisation)."""
        if self._morph is None:
            import pymorphy3
            self._morph = pymorphy3.MorphAnalyzer()
        return self._morph.parse(word)[0]

    # ------------------------------------------------------------------ tone
    def _token_info(self, tok: str) -> tuple[bool, int, float]:
        """(is_post_negator, kind, value) of a token for raw_valence_ru, with the precedence of the
        checks in the per-token rules: punctuation, negator, privative, contrast, post-negator
        (falls through to the rest when it does not fire), lexicon, intensifier, transparent."""
        post = False
        if tok in _PUNCT:
            kind, v = _K_PUNCT, 0.0
        else:
            lem = self.lemma(tok)
            kind, v = _K_OTHER, 0.0
            if lem in lx.NEGATORS:
                kind = _K_NEG
            elif lem in lx.PRIVATIVE:
                kind = _K_PRIV
            elif lem in lx.CONTRAST:
                kind = _K_CONTRAST
            else:
                post = lem in lx.POST_NEGATORS
                if lem in self.lexicon:
                    kind, v = _K_LEX, self.lexicon[lem]
                elif lem in lx.INTENSIFIERS:
                    kind, v = _K_INTENS, lx.INTENSIFIERS[lem]
                elif lem in lx.TRANSPARENT:
                    kind = _K_TRANSP
        info = (post, kind, v)
        self._tok_info[tok] = info
        return info

    def raw_valence_ru(self, norm: str, tokens: list[str] | None = None, grams: set[str] | None = None) -> float:
        """Unnormalised valence sum of a Russian text (lemma lexicon + negation + intensifiers).

        ``grams``: the scanner's literal set for ``norm`` (optional, saves a scan)."""
        get, compute = self._tok_info.get, self._token_info
        vals: list[float] = []
        negate = 0                        # 0 | _K_NEG | _K_PRIV
        intens = 1.0
        but_at = -1
        last_neg_val_pos = -10            # token index of last negative contribution (for «проблем нет»)
        for i, tok in enumerate(tokens if tokens is not None else _TOKEN_RE.findall(norm)):
            info = get(tok)
            if info is None:
                info = compute(tok)
            post, kind, v = info
            if post and i - last_neg_val_pos <= 2 and vals and vals[-1] < 0:
                vals[-1] = 0.4 * abs(vals[-1])
                last_neg_val_pos = -10
                continue
            if kind == _K_OTHER or kind == _K_PUNCT:
                negate, intens = 0, 1.0
                continue
            if kind == _K_LEX:
                if negate == _K_NEG:
                    v = -(0.5 if intens > 1.0 else 0.8) * v if v > 0 else 0.4 * abs(v) * (0.8 if intens > 1.0 else 1.0)
                elif negate == _K_PRIV:
                    v = 0.4 * abs(v) if v < 0 else v * intens
                else:
                    v *= intens
                if v < 0:
                    last_neg_val_pos = i
                vals.append(v)
                negate, intens = 0, 1.0
                continue
            if kind == _K_INTENS:
                intens *= v
                continue
            if kind == _K_TRANSP:
                if not negate:
                    intens = 1.0
                continue
            if kind == _K_NEG or kind == _K_PRIV:
                negate = kind
                continue
            # _K_CONTRAST
            but_at, negate, intens = len(vals), 0, 1.0
        if 0 <= but_at < len(vals):
            s = 0.5 * sum(vals[:but_at]) + 1.5 * sum(vals[but_at:])
        else:
            s = sum(vals)
        for key, _m in self.phrase_re.finditer(norm, grams):
            s += self.phrase_val[key]
        return s

    def _emphasis(self, s: float, norm: str) -> float:
        smiles = len(self.smile_re.findall(norm))
        sads = len(self.sad_re.findall(norm))
        s += 0.8 * min(smiles, 2) - 1.2 * min(sads, 2)
        if s:
            excl = min(norm.count("!"), 4)
            s += math.copysign(0.29 * excl, s)
        return s

    def vader_compound(self, text: str) -> float:
        c = self._vader_cache.get(text)
        if c is None:
            if self._vader is None:
                from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
                self._vader = SentimentIntensityAnalyzer()
                for word, val in self.vader_overrides.items():
                    if val is None or val == 0:
                        self._vader.lexicon.pop(word, None)
                    else:
                        self._vader.lexicon[word] = float(val)
            c = self._vader.polarity_scores(_EN_FILLER_RE.sub(" ", text))["compound"]
            if len(self._vader_cache) >= self._vader_cache_size:
                self._vader_cache.clear()
            self._vader_cache[text] = c
        return c

    @staticmethod
    def _unnormalize(c: float) -> float:
        c = max(-0.9999, min(0.9999, c))
        return c * math.sqrt(_ALPHA / (1.0 - c * c))

    def tone(self, text: str, norm: str, language: str, penalty: float = 0.0,
             tokens: list[str] | None = None, grams: set[str] | None = None) -> float:
        """Tone in [-1, 1]: VADER compound for English (domain overrides + phrase list), the lemma lexicon
        for Russian; marker penalties lower the raw sum before normalisation. Other languages: 0."""
        if language == "en":
            c = self.vader_compound(text)
            extra = sum(self.en_phrase_val[k] for k, _m in self.en_phrase_re.finditer(norm, grams)) - penalty
            if not extra:
                return round(c, 4)
            s = self._unnormalize(c) + extra
        elif language == "other":
            return 0.0
        else:
            s = self._emphasis(self.raw_valence_ru(norm, tokens, grams), norm) - penalty
        return round(s / math.sqrt(s * s + _ALPHA), 4)

    def tone_label(self, tone: float) -> str:
        if tone <= self.neg_below:
            return "negative"
        if tone >= self.pos_above:
            return "positive"
        return "neutral"

    # ------------------------------------------------------------------ markers
    def _negated(self, norm: str, start: int) -> bool:
        """A negation just before the hit cancels it - not inside a condition («если не вернёте деньги»,
        "unless you refund"): that is the demand itself."""
        before = norm[max(0, start - self.neg_window):start]
        parts = _CLAUSE_BREAK_RE.split(before)
        m = _NEG_LOOKBACK_RE.search(parts[-1])
        if m is None:
            return False
        clause = _CLAUSE_BREAK_RE.split(norm[max(0, start - 2 * self.neg_window - 40):start])[-1]
        return _CONDITION_RE.search(clause) is None

    def markers(self, norm: str, grams: set[str] | None = None, cased: str | None = None,
                lang: str = "ru") -> dict[str, list[str]]:
        """Marker -> matched phrases. ``grams``: the scanner's literal set for ``norm`` (optional);
        ``cased``: the case-preserving text, needed for competitor names found by construction."""
        sarcastic = self.sarcasm.find(norm, grams if grams is not None else None)
        for w in _FILLER_WORDS:                 # _FILLER_RE cannot match without one of these words
            if w in norm:
                stripped = _FILLER_RE.sub("", norm)
                if stripped != norm:
                    norm, grams = stripped, None
                break
        if grams is None:
            grams = self.scanner.present(norm)
        found: dict[str, list[str]] = {}
        for name, m in self.marker_res.finditer(norm, grams):
            if name in self.negatable and self._negated(norm, m.start()):
                continue
            hits = found.get(name)
            if hits is None:
                hits = found[name] = []
            phrase = m.group(0).strip()
            if phrase not in hits:
                hits.append(phrase)
        if sarcastic:
            hits = found.setdefault("sarcasm", [])
            hits.extend(h for h in sarcastic if h not in hits)
        names: list[str] = []
        hits = []
        if self.comp_re is not None:
            for nm, m in self.comp_re.finditer(norm, grams):
                if nm not in names:
                    names.append(nm)
                ph = m.group(0).strip()
                if ph not in hits:
                    hits.append(ph)
        new: list[str] = []
        kinds: list[str] = []
        if cased is not None and self.comp_patterns.enabled:
            which = self.comp_patterns.triggered(norm, grams) if grams is not None else None
            for nm, ph, kind in self.comp_patterns.find(cased, lang, which):
                if kind not in kinds:
                    kinds.append(kind)
                if nm not in names:
                    names.append(nm)
                    if nm not in self.listed_names:
                        new.append(nm)
                if ph not in hits:
                    hits.append(ph)
        if hits:
            found["competitor"] = hits
            found["_competitor_names"] = names
            if new:
                found["_competitor_new"] = new
            if kinds:
                found["_competitor_kinds"] = kinds
        return found

    def register(self, norm: str, tokens: list[str] | None = None) -> tuple[str, list[str]]:
        """formal / informal / neutral from weighted cues: words (exact tokens), phrases (substrings),
        emoticons. formal if formal - informal >= 1, informal if <= -1."""
        score = {"formal": 0.0, "informal": 0.0}
        ev: list[str] = []
        words = self.reg_words
        for tok in filter(words.__contains__, tokens if tokens is not None else _TOKEN_RE.findall(norm)):
            hit = words[tok]
            score[hit[0]] += hit[1]
            ev.append(tok)
        for ph, kind, weight in self.reg_phrases:
            if ph in norm:
                score[kind] += weight
                ev.append(ph)
        if ")" in norm or ":d" in norm or "xd" in norm or (norm and max(norm) > "\u2000"):
            n = len(self.emoticon_re.findall(norm))
            if n:
                score["informal"] += self.emoticon_weight
                ev.append("emoticon")
        diff = score["formal"] - score["informal"]
        if diff >= 1.0:
            return "formal", ev
        if diff <= -1.0:
            return "informal", ev
        return "neutral", ev

    # ------------------------------------------------------------------ all
    _EMPTY = ("other", 0.0, "neutral", "neutral", False, False, False, "", False, False, False, False, False, "",
              "{}")
    _NEEDS_CASE = ("needs-case",)

    def _score_norm(self, norm: str, cased: str | None = None) -> tuple:
        """Everything that depends on the normalised text only (and on ``cased``, the case-preserving
        text, when a competitor construction is present: ``_NEEDS_CASE`` asks score_text for it).
        For English the tone slot holds the phrase/penalty ``extra`` (the VADER compound depends on
        the raw text, see score_text)."""
        lang = self.language(norm, norm)
        present = self.scanner.present(norm)
        if cased is None and self.comp_patterns.enabled and self.comp_patterns.triggered(norm, present):
            return self._NEEDS_CASE
        found = self.markers(norm, present, cased, lang)
        sarcastic = "sarcasm" in found
        penalty = 0.0
        for k in found:
            penalty += self.penalty.get(k, 0.0)
        kind_penalty = self.comp_patterns.kind_penalty
        penalty += max((kind_penalty.get(k, 0.0) for k in found.pop("_competitor_kinds", ())), default=0.0)
        tokens = _TOKEN_RE.findall(norm)
        if lang == "en":
            tone = sum(self.en_phrase_val[k] for k, _m in self.en_phrase_re.finditer(norm, present)) - penalty
            label = None
        elif lang == "other":
            tone, label = 0.0, self.tone_label(0.0)
        else:
            s = self._emphasis(self.raw_valence_ru(norm, tokens, present), norm)
            if sarcastic and s > 0:
                s = -s                    # the praise of a sarcastic message is its complaint
            s -= penalty
            tone = round(s / math.sqrt(s * s + _ALPHA), 4)
            label = self.tone_label(tone)
        reg, _ = self.register(norm, tokens)
        names = found.pop("_competitor_names", [])
        new = found.pop("_competitor_new", [])
        return (
            lang, tone, label, reg,
            "passive_aggressive" in found, "ultimatum" in found, "competitor" in found, ";".join(names),
            "data_export" in found, "price_complaint" in found, "billing_complaint" in found,
            "refund_request" in found, sarcastic, ";".join(new),
            json.dumps(found, ensure_ascii=False) if found else "{}",
        )

    def score_text(self, text: Any) -> tuple:
        """-> (language, tone, tone_label, register, pa, ult, comp, comp_names, export, price, billing,
        refund, evidence_json). Results of the text-independent part are cached per normalised text."""
        if not isinstance(text, str) or not text.strip():
            return self._EMPTY
        norm = normalize(text)
        base = self._norm_cache.get(norm)
        if base is None:
            base = self._score_norm(norm)
            if len(self._norm_cache) >= self._norm_cache_size:
                self._norm_cache.clear()
            self._norm_cache[norm] = base
        if base is self._NEEDS_CASE:      # a competitor construction: the names need the original case
            cased = cased_normalize(text)
            base = self._cased_cache.get(cased)
            if base is None:
                base = self._score_norm(norm, cased)
                if len(self._cased_cache) >= self._norm_cache_size:
                    self._cased_cache.clear()
                self._cased_cache[cased] = base
        if base[2] is not None:
            return base
        # English: VADER on the raw text (case and punctuation matter), then the cached extra
        c = self.vader_compound(text)
        if base[12] and c > 0:
            c = -c                        # sarcasm: the praise VADER sees is the complaint
        extra = base[1]
        if not extra:
            tone = round(c, 4)
        else:
            s = self._unnormalize(c) + extra
            tone = round(s / math.sqrt(s * s + _ALPHA), 4)
        return (base[0], tone, self.tone_label(tone)) + base[3:]

    def warm_up(self) -> None:
        """Load the lazy models (pymorphy3, VADER) now, e.g. before forking workers."""
        self.lemma("тест")
        self.vader_compound("ok")


OUTPUT_FIELDS = (
    "language", "tone", "tone_label", "register", "is_passive_aggressive", "is_ultimatum",
    "mentions_competitor", "competitor_names", "asks_data_export", "price_complaint", "billing_complaint",
    "refund_request", "is_sarcastic", "competitor_new_names", "evidence",
)
assert len(MARKERS) == 8
