"""LanguageConsistencyFilter: the answer is written in the query's language, without drifting mid-response.

EXAONE 4.0 filters reasoning responses for language inconsistency (answers that switch language). We check
three things on the prose only (reasoning blocks, code and math are stripped first): the document-level LID,
the share of the expected script among letters (e.g. Hangul for Korean), and the share of sentences whose
own LID is another language (code switching). LID is fastText lid.176 via `filters.lid` (offline).
"""

from __future__ import annotations

import re

from filters.lid import detect_language, detect_languages

_THINK = re.compile(r"<think>.*?(</think>|$)", re.DOTALL)
_CODE_BLOCK = re.compile(r"```.*?(```|$)", re.DOTALL)
_INLINE_CODE = re.compile(r"`[^`\n]*`")
_MATH = re.compile(r"\$\$.*?\$\$|\$[^$\n]*\$|\\\[.*?\\\]|\\\(.*?\\\)", re.DOTALL)
_LATEX_ENV = re.compile(r"\\begin\{([A-Za-z*]+)\}.*?\\end\{\1\}", re.DOTALL)
_LATEX_CMD = re.compile(r"\\[A-Za-z]+(\{[^{}]*\})?")
_WORDLIKE = re.compile(r"^[(\"'¿¡]*[^\W\d_]+(?:[-'][^\W\d_]+)*[.,;:!?)\"'。？！]*$")
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?。！？])\s+|\n+")

_HANGUL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")
SCRIPTS = {"ko": _HANGUL, "en": _LATIN, "es": _LATIN, "fr": _LATIN, "de": _LATIN, "it": _LATIN, "pt": _LATIN}


def prose(text: str) -> str:
    """The natural-language part of a response: no <think> block, code, inline code, math, LaTeX, symbol soup."""
    for pat in (_THINK, _CODE_BLOCK, _INLINE_CODE, _MATH, _LATEX_ENV, _LATEX_CMD):
        text = pat.sub(" ", text)
    # keep only word-like tokens (drops leftovers such as "y^2", "75^", "&=") line by line
    return "\n".join(" ".join(w for w in line.split() if _WORDLIKE.match(w)) for line in text.splitlines())


def script_ratio(text: str, language: str) -> float:
    """Share of letters written in `language`'s script (Hangul for ko, Latin for en/es); 1.0 if no letters."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return 1.0
    pat = SCRIPTS.get(language)
    if pat is None:
        raise ValueError(f"no script known for language {language!r}; known: {sorted(SCRIPTS)}")
    return sum(1 for c in letters if pat.match(c)) / len(letters)


class LanguageConsistencyFilter:
    def __init__(
        self,
        # fastText lid.176 top-1 scores above ~0.5 are reliable on sentence-length text (CCNet, Wenzek et al.
        # 2020, keeps docs with LID score > 0.5); below that we do not call a response "wrong language".
        min_language_prob: float = 0.5,
        # Korean technical answers keep English terms and variable names; 0.5 Hangul share among letters is the
        # line between "Korean with loanwords" and "English with Korean bits" (our choice, see docs/reasoning.md).
        min_script_ratio: float = 0.5,
        # One foreign sentence in five is tolerated (quoted names, formulas described in words); more is
        # code switching. Our choice, tuned on the Korean/Spanish samples in examples/data.
        max_foreign_sentence_frac: float = 0.2,
        min_sentence_chars: int = 20,  # shorter sentences give unreliable fastText LID
    ):
        self.min_language_prob = min_language_prob
        self.min_script_ratio = min_script_ratio
        self.max_foreign_sentence_frac = max_foreign_sentence_frac
        self.min_sentence_chars = min_sentence_chars

    def filter(self, text: str, expected_language: str) -> bool | tuple[bool, str]:
        if not text or not text.strip():
            return False, "empty"
        body = prose(text)
        letters = sum(1 for c in body if c.isalpha())
        if letters < 3:
            return True  # pure math / code answer: nothing language-specific to check
        if expected_language in SCRIPTS and script_ratio(body, expected_language) < self.min_script_ratio:
            return False, "low_script_ratio"
        lang, prob = detect_language(body)[0]
        if (
            lang != expected_language
            and prob >= self.min_language_prob
            and letters >= self.min_sentence_chars
        ):
            return False, "wrong_language"
        sentences = [
            s for s in _SENTENCE_SPLIT.split(body) if sum(c.isalpha() for c in s) >= self.min_sentence_chars
        ]
        if len(sentences) >= 2:
            ids = detect_languages(sentences)
            foreign = sum(1 for lg, p in ids if lg != expected_language and p >= self.min_language_prob)
            if foreign / len(sentences) > self.max_foreign_sentence_frac:
                return False, "code_switching"
        return True
