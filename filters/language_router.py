"""Language routing: fastText lid.176 (filters/lid.py) labels each document; only configured languages pass, each
with its own minimum LID confidence. Later steps (filters/quality.py) pick per-language thresholds and word
tokenizers from doc.metadata["language"].
"""

from __future__ import annotations

from datatrove.data import Document
from datatrove.pipeline.filters.base_filter import BaseFilter

from schemas.web import META_LANGUAGE, META_LANGUAGE_SCORE

# FineWeb keeps English with lid.176 score >= 0.65 (arXiv 2406.17557 §3.2); we use the same bar for ko/es.
DEFAULT_MIN_SCORES = {"en": 0.65, "ko": 0.65, "es": 0.65}
LID_MAX_CHARS = 10_000  # the first 10k characters decide; fastText cost grows with length, accuracy does not


class LanguageRouterFilter(BaseFilter):
    """Sets doc.metadata language/language_score; drops languages not in `min_scores` or below their score."""

    name = "🌍 Language router"

    def __init__(
        self, min_scores: dict[str, float] | None = None, exclusion_writer=None, batch_size: int = 64
    ):
        super().__init__(exclusion_writer, batch_size=batch_size)
        self.min_scores = dict(min_scores or DEFAULT_MIN_SCORES)

    def decide(self, doc: Document, lang: str, score: float) -> bool | tuple[bool, str]:
        doc.metadata[META_LANGUAGE] = lang
        doc.metadata[META_LANGUAGE_SCORE] = round(score, 4)
        self.stat_update(f"lang_{lang}")
        if lang not in self.min_scores:
            return False, "language_not_allowed"
        if score < self.min_scores[lang]:
            return False, "low_language_score"
        return True

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        return self.filter_batch([doc])[0]

    def filter_batch(self, batch: list[Document]) -> list[bool | tuple[bool, str]]:
        from filters.lid import detect_languages

        preds = detect_languages([d.text[:LID_MAX_CHARS] for d in batch])
        return [self.decide(d, lang, score) for d, (lang, score) in zip(batch, preds)]
