"""DegenerationFilter: drop model responses that loop, are cut off, or never answer after their reasoning.

EXAONE 4.0 (tech report §SFT data) filters long reasoning responses for degeneration — repetition loops and
truncated traces — before they enter SFT. This is the cheap, text-only part of that check.
"""

from __future__ import annotations

import re
from collections import Counter

_THINK_OPEN, _THINK_CLOSE = "<think>", "</think>"
_WORD = re.compile(r"\S+")


def _units(text: str) -> list[str]:
    """Whitespace words; for text with almost no spaces (e.g. CJK loops) fall back to characters."""
    words = _WORD.findall(text)
    if len(text) > 200 and len(words) < len(text) / 40:
        return [c for c in text if not c.isspace()]
    return words


def ngram_stats(text: str, n: int) -> tuple[int, float]:
    """(occurrences of the most repeated n-gram, share of n-gram positions that repeat an earlier n-gram)."""
    units = _units(text)
    if len(units) < n:
        return (1 if units else 0), 0.0
    grams = Counter(tuple(units[i : i + n]) for i in range(len(units) - n + 1))
    total = sum(grams.values())
    top = grams.most_common(1)[0][1]
    return top, (total - len(grams)) / total


class DegenerationFilter:
    def __init__(
        self,
        ngram: int = 20,
        max_ngram_repeats: int = 20,
        # Gopher (Rae et al. 2021, App. A, Table A1) drops docs whose duplicate 10-gram character share > 0.10;
        # reasoning traces legitimately restate steps, so we allow 0.30 of repeated 20-gram positions.
        max_repetition_ratio: float = 0.30,
        require_answer_after_think: bool = True,
    ):
        self.ngram = ngram
        self.max_ngram_repeats = max_ngram_repeats
        self.max_repetition_ratio = max_repetition_ratio
        self.require_answer_after_think = require_answer_after_think

    def filter(self, text: str, finish_reason: str = "stop") -> bool | tuple[bool, str]:
        if not text or not text.strip():
            return False, "empty"
        if finish_reason == "length":
            return False, "truncated"
        has_open, has_close = _THINK_OPEN in text, _THINK_CLOSE in text
        if has_open and not has_close:
            return False, "truncated"  # the reasoning never finished: cut off mid-thought
        top, ratio = ngram_stats(text, self.ngram)
        if top > self.max_ngram_repeats:
            return False, "ngram_repetition"
        if ratio > self.max_repetition_ratio:
            return False, "repetition_ratio"
        if self.require_answer_after_think and has_close:
            answer = text.rsplit(_THINK_CLOSE, 1)[1]
            if not answer.strip():
                return False, "no_answer_after_think"
        return True
