"""The grounding check of generated answers against their source passage (knowledge QA, and multilingual QA
over Korean documents through the same generator). Checks every SFT builder shares: `generators/sft_checks.py`.
"""

from __future__ import annotations

import re

from generators.verify.answers import normalise_text

_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_WORD = re.compile(r"\w+", re.UNICODE)
# Function words that carry no content: an answer made only of these is not "supported" by sharing them.
_STOP = frozenset(
    [
        "the",
        "a",
        "an",
        "of",
        "to",
        "in",
        "on",
        "and",
        "or",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "for",
        "with",
        "by",
        "as",
        "at",
        "from",
        "that",
        "this",
        "it",
        "its",
        "which",
        "who",
        "el",
        "la",
        "los",
        "las",
        "de",
        "del",
        "y",
        "o",
        "en",
        "un",
        "una",
        "por",
        "para",
        "con",
        "que",
        "se",
        "su",
        "sus",
        "es",
        "al",
        "lo",
        "como",
    ]
)


def content_units(text: str) -> set[str]:
    """Comparable content units: lower-cased words (no stop words); Hangul words as character bigrams,
    because Korean particles attach to the word (`헌법은` vs `헌법`) and whole-word matching would miss them."""
    units: set[str] = set()
    # the answer layer's text form: NFKC, case-folded, 1,234 → 1234
    for w in _WORD.findall(normalise_text(text)):
        if _HANGUL.search(w):
            units.update([w] if len(w) == 1 else (w[i : i + 2] for i in range(len(w) - 1)))
        elif w not in _STOP and (len(w) > 1 or w.isdigit()):
            units.add(w)
    return units


def support_overlap(answer: str, passage: str) -> float:
    """Share of the answer's content units found in the passage (1.0 = every content word is in the source)."""
    units = content_units(answer)
    if not units:
        return 0.0
    return len(units & content_units(passage)) / len(units)


class SupportFilter:
    """Drops an answer whose content is not in its source passage (a lexical proxy for hallucination)."""

    def __init__(
        self,
        # An extractive/abstractive answer grounded in the passage reuses most of its content words; 0.6 keeps
        # paraphrases ("1948년에 제정" vs "제정되고 1948년") and drops answers whose facts are not in the text.
        # Our choice, checked on the canned cases in tests/generators/knowledge.
        min_overlap: float = 0.6,
    ):
        self.min_overlap = min_overlap

    def filter(self, answer: str, passage: str) -> bool | tuple[bool, str]:
        if not answer.strip():
            return False, "empty"
        if support_overlap(answer, passage) < self.min_overlap:
            return False, "unsupported_answer"
        return True
