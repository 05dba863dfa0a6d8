"""Heuristic quality filters routed by language: datatrove's Gopher repetition, Gopher quality, C4 and FineWeb
filters (in FineWeb's order) with one instance per language, so Korean and Spanish are judged with their own
word tokenizers and stop words instead of English-only rules.

English thresholds are the sources' own (datatrove defaults): Gopher (Rae et al. 2021, arXiv 2112.11446 App. A),
C4 (Raffel et al. 2020), FineWeb (arXiv 2406.17557). Language adaptations follow FineWeb-2 (per-language stop words
= the language's most frequent words; thresholds that measure words rescaled to how the tokenizer splits words):
- es: spaCy word split; Gopher stop words = 8 most frequent Spanish words (as the English list is 8 words).
- ko: Kiwi morphemes (datatrove's Korean tokenizer), which are 1–3 characters, so Gopher's mean-word-length
  range 3–10 becomes 1–10; stop words = the 8 most frequent Korean particles/endings; repetition n-grams over
  space-separated words (eojeol) instead of morphemes.
"""

from __future__ import annotations

import re

from datatrove.data import Document
from datatrove.pipeline.filters import (
    C4QualityFilter,
    FineWebQualityFilter,
    GopherQualityFilter,
    GopherRepetitionFilter,
)
from datatrove.pipeline.filters.base_filter import BaseFilter, get_filter_result
from datatrove.utils.word_tokenizers import WordTokenizer

from schemas.web import META_LANGUAGE, META_QUALITY

LANGUAGE_THRESHOLDS: dict[str, dict[str, dict]] = {
    "en": {"gopher_quality": {}, "gopher_repetition": {}, "c4": {}, "fineweb": {}},
    "es": {
        "gopher_quality": {"stop_words": ["de", "la", "que", "el", "en", "y", "a", "los"]},
        "gopher_repetition": {},
        "c4": {},
        "fineweb": {},
    },
    "ko": {
        "gopher_quality": {
            "min_avg_word_length": 1,
            "stop_words": ["이", "가", "은", "는", "을", "를", "의", "에"],
        },
        # n-gram repetition is measured on space-separated words (eojeol), the unit Gopher's thresholds assume;
        # Kiwi morphemes split off particles and endings, which repeat by design
        "gopher_repetition": {"_tokenizer": "whitespace"},
        "c4": {},
        "fineweb": {},
    },
}
STEPS = {
    "gopher_repetition": GopherRepetitionFilter,
    "gopher_quality": GopherQualityFilter,
    "c4": C4QualityFilter,
    "fineweb": FineWebQualityFilter,
}  # FineWeb's order


class WhitespaceWordTokenizer(WordTokenizer):
    """Space-separated words; sentences split after . ! ? (used for Korean eojeol n-grams)."""

    _SENT = re.compile(r"(?<=[.!?。])\s+")

    def word_tokenize(self, text: str) -> list[str]:
        return text.split()

    def sent_tokenize(self, text: str) -> list[str]:
        return [s for s in self._SENT.split(text) if s.strip()]

    def span_tokenize(self, text: str) -> list[tuple[int, int]]:
        return [(m.start(), m.end()) for m in re.finditer(r"\S+", text)]


def word_tokenizer_for(language: str, kind: str | None = None):
    """datatrove's tokenizer for a language; Korean uses Kiwi's bundled 'cong' model (kiwipiepy >= 0.22 no longer
    ships the 'sbg' model datatrove asks for by default)."""
    if kind == "whitespace":
        return WhitespaceWordTokenizer()
    if language == "ko":
        from datatrove.utils.word_tokenizers import KiwiTokenizer

        return KiwiTokenizer(model_type="cong")
    from filters.cached_tokenizer import cached_word_tokenizer

    return cached_word_tokenizer(language)  # spaCy's words, each distinct chunk tokenized once (same output)


def snake_reason(reason: str | None, step: str) -> str:
    r = re.sub(r"[^a-z0-9]+", "_", (reason or "dropped").lower()).strip("_")
    return r if r.startswith(step.split("_")[0]) else f"{step}_{r}"


def quality_stats(text: str) -> dict[str, float]:
    """Cheap named stats for the catalog (whitespace words; the filters use language-aware words)."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    words = text.split()
    n_lines = max(len(lines), 1)
    return {
        "chars": float(len(text)),
        "words": float(len(words)),
        "mean_word_chars": sum(map(len, words)) / max(len(words), 1),
        "lines": float(len(lines)),
        "line_punct_ratio": sum(ln.rstrip()[-1] in ".!?。…\"'" for ln in lines) / n_lines,
        "short_line_ratio": sum(len(ln) <= 30 for ln in lines) / n_lines,  # FineWeb short line = 30 chars
        "dup_line_frac": 1 - len(set(lines)) / n_lines,
        "non_alpha_char_ratio": sum(not (c.isalpha() or c.isspace()) for c in text) / max(len(text), 1),
    }


class LanguageQualityFilter(BaseFilter):
    """Runs the four datatrove quality filters with the thresholds of the document's language.

    `overrides` = {lang: {step: {kwarg: value}}} on top of LANGUAGE_THRESHOLDS; a language without thresholds
    uses the English ones with its own tokenizer and no stop-word rule (English stop words would drop it)."""

    name = "🥇 Language-aware quality"

    def __init__(self, languages: list[str], overrides: dict | None = None, exclusion_writer=None):
        super().__init__(exclusion_writer)
        self.languages = list(languages)
        self.overrides = overrides or {}
        self._filters: dict[str, list[tuple[str, BaseFilter]]] = {}

    def _thresholds(self, lang: str) -> dict[str, dict]:
        base = LANGUAGE_THRESHOLDS.get(lang) or {
            k: ({"min_stop_words": None} if k == "gopher_quality" else {}) for k in STEPS
        }
        return {k: {**base.get(k, {}), **self.overrides.get(lang, {}).get(k, {})} for k in STEPS}

    def filters_for(self, lang: str) -> list[tuple[str, BaseFilter]]:
        if lang not in self._filters:
            toks: dict = {}
            self._filters[lang] = []
            for k, kw in self._thresholds(lang).items():
                kw = dict(kw)
                kind = kw.pop("_tokenizer", None)
                tok = toks.setdefault(kind, word_tokenizer_for(lang, kind))
                self._filters[lang].append((k, STEPS[k](language=tok, **kw)))
        return self._filters[lang]

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        lang = doc.metadata.get(META_LANGUAGE, "en")
        doc.metadata[META_QUALITY] = quality_stats(doc.text)
        for step, f in self.filters_for(lang):
            ok, reason = get_filter_result(f.filter(doc))
            if not ok:
                return False, snake_reason(reason, step)
        return True
