"""Reusable filters — the one list of what exists (`FILTERS`: class name → its module). Each class is imported on
first use (`from filters import PIIRedactor` works), so that `import filters.lid` does not pull datatrove, spaCy or
Kiwi. tests/filters/test_filters_registry.py checks that every filter class in this package is listed here.

Web documents (datatrove steps; `filter()` returns True or (False, "snake_case_reason"), no I/O):
  LanguageRouterFilter   language_router.py   fastText lid.176 routing with per-language minimum scores
  LanguageQualityFilter  quality.py           Gopher quality + repetition, C4, FineWeb, thresholds per language
  EduScoreFilter         edu.py               fastText educational-value score (DCLM-style classifier)
  LLMEduLabeler          edu.py               FineWeb-Edu 0–5 rubric labels from an LLM engine (optional)
  PIIRedactor            pii.py               emails, IPs, phones, Korean RRNs, card numbers → placeholders + counts
  DecontaminationFilter  decontam.py          13-gram overlap with the benchmark registry (benchmarks.py)
Language ID for everyone: lid.py (detect_language / detect_languages).
SFT samples:
  DegenerationFilter         degeneration.py
  LanguageConsistencyFilter  language_consistency.py
  LengthFilter               length.py
  TranslationFilter          translation.py
"""

from __future__ import annotations

import importlib

FILTERS = {
    "LanguageRouterFilter": "filters.language_router",
    "LanguageQualityFilter": "filters.quality",
    "EduScoreFilter": "filters.edu",
    "LLMEduLabeler": "filters.edu",
    "PIIRedactor": "filters.pii",
    "DecontaminationFilter": "filters.decontam",
    "DegenerationFilter": "filters.degeneration",
    "LanguageConsistencyFilter": "filters.language_consistency",
    "LengthFilter": "filters.length",
    "TranslationFilter": "filters.translation",
}

__all__ = list(FILTERS)


def __getattr__(name: str):
    if name in FILTERS:
        return getattr(importlib.import_module(FILTERS[name]), name)
    raise AttributeError(f"module 'filters' has no attribute {name!r}")
