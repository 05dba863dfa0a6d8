"""Extraction quality on trafilatura's gold snippets (html_evaldata.json: per page, "with" snippets that belong
to the main content and "without" snippets of boilerplate). Counting follows trafilatura's own evaluation
(tests/comparison.py): a found "with" is a true positive, a missing one a false negative, a found "without" a
false positive; precision = TP/(TP+FP), recall = TP/(TP+FN).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from curation.extract import extract_text
from curation.readers import decode_html


@dataclass
class ExtractionScores:
    pages: int = 0
    tp: int = 0
    fn: int = 0
    fp: int = 0
    tn: int = 0
    per_page: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def precision(self) -> float:
        return self.tp / max(self.tp + self.fp, 1)

    @property
    def recall(self) -> float:
        return self.tp / max(self.tp + self.fn, 1)

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / max(p + r, 1e-9)


def evaluate_extraction(web_dir: Path, favor_precision: bool = True) -> ExtractionScores:
    gold = json.loads((Path(web_dir) / "html_evaldata.json").read_text(encoding="utf-8"))
    s = ExtractionScores()
    for url, entry in sorted(gold.items()):
        path = Path(web_dir) / "html" / entry["file"]
        if not path.exists():
            continue
        html = decode_html(path.read_bytes()) or ""
        text = extract_text(html, url, favor_precision=favor_precision)
        tp = sum(snip in text for snip in entry.get("with", []))
        fp = sum(snip in text for snip in entry.get("without", []))
        page = {"tp": tp, "fn": len(entry.get("with", [])) - tp, "fp": fp, "tn": len(entry.get("without", [])) - fp}
        s.per_page[entry["file"]] = page
        s.pages += 1
        s.tp, s.fn, s.fp, s.tn = s.tp + page["tp"], s.fn + page["fn"], s.fp + page["fp"], s.tn + page["tn"]
    return s
