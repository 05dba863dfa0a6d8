"""Language router: fastText lid.176 labels, per-language minimum scores, reasons."""

from __future__ import annotations

import json

from datatrove.data import Document

from datamill.demo_data import EXAMPLES
from filters.language_router import LanguageRouterFilter
from filters.quality import quality_stats, snake_reason


def test_router_labels_and_routes_real_text():
    es = json.loads((EXAMPLES / "spanish/xquad.es.json").read_text())["data"][0]["paragraphs"][0]["context"]
    ko = (EXAMPLES / "korean/kolaw_constitution.txt").read_text()[:800]
    de = "Die Bootsführerausbildung in der Feuerwehr ist sehr praxisorientiert und dauert mehrere Wochen."
    docs = [Document(text=t, id=str(i)) for i, t in enumerate([es, ko, de])]
    res = LanguageRouterFilter({"es": 0.65, "ko": 0.65}).filter_batch(docs)
    assert res[:2] == [True, True]
    assert res[2] == (False, "language_not_allowed")
    assert [d.metadata["language"] for d in docs] == ["es", "ko", "de"]


def test_router_min_score_per_language():
    doc = Document(text="ok ok 123", id="x")
    res = LanguageRouterFilter({"en": 0.99}).filter_batch([doc])[0]
    assert res in ((False, "low_language_score"), (False, "language_not_allowed"))


def test_quality_stats_and_reason_names():
    s = quality_stats("A line.\nA line.\nshort\n")
    assert abs(s["dup_line_frac"] - 1 / 3) < 1e-9 and s["lines"] == 3 and s["short_line_ratio"] == 1.0
    assert snake_reason("< 3 paragraphs", "c4") == "c4_3_paragraphs"
    assert snake_reason("gopher_short_doc", "gopher_quality") == "gopher_short_doc"
