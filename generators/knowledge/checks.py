"""Checks shared by the knowledge and multilingual builders, turned into `Verdict`s.

The language and degeneration checks themselves live in `filters/` (one implementation for every generator);
this module adapts their `True | (False, reason)` results to verdicts, adds the grounding check of generated
answers against their source passage, and builds deterministic sample ids.
"""

from __future__ import annotations

import re

from datamill.engine import Completion
from filters.degeneration import DegenerationFilter
from filters.language_consistency import LanguageConsistencyFilter
from generators.verify.answers import normalise_text
from schemas import Verdict

_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_WORD = re.compile(r"\w+", re.UNICODE)
# Function words that carry no content: an answer made only of these is not "supported" by sharing them.
_STOP = frozenset(
    ["the", "a", "an", "of", "to", "in", "on", "and", "or", "is", "are", "was", "were", "be", "been", "for", "with", "by", "as", "at", "from", "that", "this", "it", "its", "which", "who", "el", "la", "los", "las", "de", "del", "y", "o", "en", "un", "una", "por", "para", "con", "que", "se", "su", "sus", "es", "al", "lo", "como"]
)


def first_completion(comps: list) -> Completion:
    """The first completion, or an empty 'error' one when the backend returned none (dropped as 'empty')."""
    return comps[0] if comps else Completion(text="", finish_reason="error")


def to_verdict(verifier: str, result: bool | tuple[bool, str], **details) -> Verdict:
    if result is True:
        return Verdict(verifier=verifier, passed=True, details=details)
    return Verdict(verifier=verifier, passed=False, reason=result[1], details=details)


def reasoning_format(think: str | None, answer: str | None, need_reasoning: bool) -> Verdict | None:
    """A failing `reasoning_format` verdict for a response cut off mid-thought (no final answer: None) or, when
    reasoning is asked for, one without a thought; None when the format is right."""
    if answer is None:
        return Verdict(verifier="reasoning_format", passed=False, reason="no_final_answer")
    if need_reasoning and think is None:
        return Verdict(verifier="reasoning_format", passed=False, reason="missing_reasoning")
    return None


def first_failure(verdicts: list[Verdict]) -> str | None:
    return next((v.reason for v in verdicts if not v.passed), None)


def content_units(text: str) -> set[str]:
    """Comparable content units: lower-cased words (no stop words); Hangul words as character bigrams,
    because Korean particles attach to the word (`헌법은` vs `헌법`) and whole-word matching would miss them."""
    units: set[str] = set()
    for w in _WORD.findall(normalise_text(text)):  # the answer layer's text form: NFKC, case-folded, 1,234 → 1234
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


def response_verdicts(
    text: str,
    language: str,
    finish_reason: str = "stop",
    degeneration: DegenerationFilter | None = None,
    language_filter: LanguageConsistencyFilter | None = None,
) -> list[Verdict]:
    """Degeneration check on the raw model text, then the language check (stops at the first failure)."""
    verdicts = [to_verdict("degeneration", (degeneration or DegenerationFilter()).filter(text, finish_reason))]
    if verdicts[0].passed:
        lang = (language_filter or LanguageConsistencyFilter()).filter(text, language)
        verdicts.append(to_verdict("language_consistency", lang, expected=language))
    return verdicts
