"""Sarcasm and veiled aggression beyond the plain marker regexes (config `sarcasm`).

Two rules need more than one regex, so they live here; the direct cues (ironic agreement
«ну да, конечно», "yeah, right", «в третий раз объясняю», "for the fifth time",
counted repeats) are ordinary regexes in `markers.sarcasm`; a mixed «?!» run is checked here with a
plain substring test first (a regex for it cannot be gated by a literal and costs ~9 µs per text).

* quoted claim: a praise or promise word in quotes («"надёжный" сервис», "the 'quick fix'") is
  irony unless a naming word just before it says the quotes hold a name (тариф «Оптимальный»,
  the button 'Save draft');
* framed praise: a praise opener («отлично,», «браво», "great,", "love how") is irony only when a
  negative event follows it in the same message («опять», «не работает», "down again", "no
  answer"); «Отлично, спасибо! Всё получилось» stays praise.
"""
from __future__ import annotations

import re

from .gated import GatedPatterns

_MIXED_RE = re.compile(r"[?!]*(?:\?!|!\?)[?!]*")
_QUOTE_RE = re.compile(r"\"([^\"«»]{1,40})\"|«([^«»\"]{1,40})»|(?<![\w'])'([^']{1,40})'(?![\w'])")


class SarcasmRules:
    def __init__(self, cfg: dict):
        self.claim_re = re.compile(rf"(?:{cfg['quoted_claim']})")
        self.naming_re = re.compile(rf"(?:{cfg['naming_words']})\W*$")
        self.naming_window = int(cfg["naming_window_chars"])
        self.max_quoted_words = int(cfg["max_quoted_words"])
        self.mixed_punctuation = bool(cfg["mixed_punctuation"])
        self.openers = GatedPatterns([(str(i), str(p)) for i, p in enumerate(cfg["framed_openers"])])
        self.frame_re = re.compile("|".join(f"(?:{p})" for p in cfg["negative_frame"]))

    def find(self, norm: str, present: set[str] | None = None) -> list[str]:
        """Evidence phrases of the two rules (empty list: no sarcasm by these rules)."""
        hits: list[str] = []
        if self.mixed_punctuation and ("?!" in norm or "!?" in norm):   # a plain `in` is ~50x cheaper than re
            m = _MIXED_RE.search(norm)
            if m is not None:
                hits.append(m.group(0))
        if '"' in norm or "«" in norm or "'" in norm:
            for m in _QUOTE_RE.finditer(norm):
                inner = (m.group(1) or m.group(2) or m.group(3)).strip()
                if not inner or len(inner.split(" ")) > self.max_quoted_words or not self.claim_re.match(inner):
                    continue
                if self.naming_re.search(norm[max(0, m.start() - self.naming_window):m.start()]):
                    continue
                hits.append(m.group(0))
        for _k, m in self.openers.finditer(norm, present):
            f = self.frame_re.search(norm, m.end())
            if f is not None:
                hits.append(f"{m.group(0).strip()} … {f.group(0).strip()}")
                break
        return hits
