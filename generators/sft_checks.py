"""Checks every SFT builder shares, turned into `Verdict`s (reasoning, knowledge, multilingual, …).

The checks themselves live in `filters/` (one implementation for every generator: `filter()` returns `True` or
`(False, "snake_case_reason")`); `to_verdict` is the one adapter from such a result to a Verdict. Here too: the
response checks run on every model answer, the reasoning-format check, and the error a parser raises when a
model's output lacks what the prompt asked for.
"""

from __future__ import annotations

from datamill.engine import Completion
from filters.degeneration import DegenerationFilter
from filters.language_consistency import LanguageConsistencyFilter
from schemas import Verdict


class ParseError(ValueError):
    """The model output does not contain what the prompt asked for; `reason` is the drop reason."""

    def __init__(self, reason: str, message: str = ""):
        super().__init__(message or reason)
        self.reason = reason


def to_verdict(verifier: str, result: bool | tuple[bool, str], **details) -> Verdict:
    """A filter's `True | (False, reason)` as a Verdict of `verifier` (details kept either way)."""
    if result is True:
        return Verdict(verifier=verifier, passed=True, details=details)
    return Verdict(verifier=verifier, passed=False, reason=result[1], details=details)


def first_failure(verdicts: list[Verdict]) -> str | None:
    """The reason of the first failed verdict (the sample's drop reason), None when all passed."""
    return next((v.reason for v in verdicts if not v.passed), None)


def first_completion(comps: list) -> Completion:
    """The first completion, or an empty 'error' one when the backend returned none (dropped as 'empty')."""
    return comps[0] if comps else Completion(text="", finish_reason="error")


def reasoning_format(think: str | None, answer: str | None, need_reasoning: bool) -> Verdict | None:
    """A failing `reasoning_format` verdict for a response cut off mid-thought (no final answer: None) or, when
    reasoning is asked for, one without a thought; None when the format is right."""
    if answer is None:
        return Verdict(verifier="reasoning_format", passed=False, reason="no_final_answer")
    if need_reasoning and think is None:
        return Verdict(verifier="reasoning_format", passed=False, reason="missing_reasoning")
    return None


def response_verdicts(
    text: str,
    language: str,
    finish_reason: str = "stop",
    degeneration: DegenerationFilter | None = None,
    language_filter: LanguageConsistencyFilter | None = None,
) -> list[Verdict]:
    """Degeneration check on the raw model text, then the language check (stops at the first failure)."""
    verdicts = [
        to_verdict("degeneration", (degeneration or DegenerationFilter()).filter(text, finish_reason))
    ]
    if verdicts[0].passed:
        lang = (language_filter or LanguageConsistencyFilter()).filter(text, language)
        verdicts.append(to_verdict("language_consistency", lang, expected=language))
    return verdicts
