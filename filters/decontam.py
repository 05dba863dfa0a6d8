"""Benchmark decontamination: drop web documents (and flag SFT prompts) that copy an evaluation item, and say
which item.

Two ways to look, measured side by side in bench/quality/decontam.py:
- plain (the baseline): any shared 13-gram of lower-cased `\\w+` words, as in GPT-3 (arXiv 2005.14165 §C,
  "13-gram overlap") and the FineWeb runs: `plain_ngram_index` + `find_overlap` → {benchmark: hits}.
- ours (`DecontaminationFilter`, `contamination_verdict`): `decontam_index.BenchmarkIndex` on normalised text
  (`decontam_text`): 13 shared words in a row, short items matched whole, and near copies (numbers changed, 60% of
  an item, LaTeX stripped) by 8-gram coverage; every match names benchmark, item id and rule.
The index is built once per job (`build_ngram_index` → `save_ngram_index`) and loaded by each task.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import xxhash
from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.filters.base_filter import BaseFilter

from filters.benchmarks import BenchmarkItem
from filters.decontam_index import FORMAT, NGRAM, BenchmarkIndex, Match
from schemas.web import META_CONTAMINATED, META_CONTAMINATION

INDEX_FORMAT = FORMAT  # in curation/job.py's cache key: an index of another format is rebuilt, not refused
MAX_REPORTED = 5  # matches kept in metadata / verdict details (a pasted exam page can match dozens)
_WORD = re.compile(r"\w+", re.UNICODE)
_P = np.uint64(
    0x100000001B3
)  # FNV-64 prime: n-gram hash = polynomial over the words' xxh64 hashes (mod 2^64)

PlainIndex = tuple[np.ndarray, np.ndarray, list[str]]


def ngram_hashes(text: str, n: int = NGRAM) -> np.ndarray:
    """uint64 hash of every word n-gram (lower-cased \\w+ words), computed as a rolling polynomial in numpy."""
    words = _WORD.findall(text.lower())
    m = len(words) - n + 1
    if m <= 0:
        return np.empty(0, dtype=np.uint64)
    w = np.fromiter((xxhash.xxh64_intdigest(x) for x in words), dtype=np.uint64, count=len(words))
    h = np.zeros(m, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for i in range(n):
            h = h * _P + w[i : i + m]
    return h


def plain_ngram_index(texts_by_benchmark: dict[str, list[str]], n: int = NGRAM) -> PlainIndex:
    """The plain baseline: (sorted unique hashes, benchmark id per hash, benchmark names)."""
    names = sorted(texts_by_benchmark)
    hashes, ids = [], []
    for bid, name in enumerate(names):
        parts = [ngram_hashes(t, n) for t in texts_by_benchmark[name]] or [np.empty(0, np.uint64)]
        h = np.unique(np.concatenate(parts))
        hashes.append(h)
        ids.append(np.full(len(h), bid, dtype=np.int16))
    all_h = np.concatenate(hashes) if hashes else np.empty(0, np.uint64)
    all_ids = np.concatenate(ids) if ids else np.empty(0, np.int16)
    order = np.argsort(all_h, kind="stable")
    return all_h[order], all_ids[order], names


def find_overlap(text: str, index: PlainIndex, n: int = NGRAM) -> dict[str, int]:
    """Plain baseline: benchmark name → number of the text's n-grams found in that benchmark."""
    hashes, ids, names = index
    doc = ngram_hashes(text, n)
    if not len(doc) or not len(hashes):
        return {}
    pos = np.searchsorted(hashes, doc).clip(0, len(hashes) - 1)
    hit = hashes[pos] == doc
    if not hit.any():
        return {}
    found = np.bincount(ids[pos[hit]], minlength=len(names))
    return {names[i]: int(c) for i, c in enumerate(found) if c}


def build_ngram_index(texts_by_benchmark: dict[str, list[str]], n: int = NGRAM) -> BenchmarkIndex:
    """Our index from `benchmarks.benchmark_texts` (whose strings carry their item; a plain string becomes an
    item named by its position)."""
    items = [
        getattr(t, "item", None) or BenchmarkItem(name, str(k), [t])
        for name in sorted(texts_by_benchmark)
        for k, t in enumerate(texts_by_benchmark[name])
    ]
    return BenchmarkIndex.build(items, n)


def save_ngram_index(path: str | Path, index: BenchmarkIndex) -> None:
    index.save(path)


def load_ngram_index(path: str | Path) -> BenchmarkIndex:
    return BenchmarkIndex.load(path)


def contamination_details(matches: list[Match]) -> dict:
    """What a verdict / document metadata records: the matched items (best first) and their benchmarks."""
    return {
        "benchmarks": sorted({m.benchmark for m in matches}),
        "matches": [m.to_dict() for m in matches[:MAX_REPORTED]],
        "n_matches": len(matches),
    }


def contamination_verdict(text: str, index: BenchmarkIndex):
    """A `Verdict` for one SFT prompt (or any text): passed unless it copies a benchmark item; details name it."""
    from schemas import Verdict

    matches = index.match(text)
    if not matches:
        return Verdict(verifier="decontamination", passed=True)
    return Verdict(
        verifier="decontamination",
        passed=False,
        reason="benchmark_contamination",
        details=contamination_details(matches),
    )


class DecontaminationFilter(BaseFilter):
    """Drops documents that copy a benchmark item (any rule of `BenchmarkIndex`); marks them contaminated and
    records the matched items in metadata["contamination"] (the sink and the catalog keep them)."""

    name = "🧪 Decontamination"

    def __init__(self, index_path: str, n: int = NGRAM, min_hits: int = 1, exclusion_writer=None):
        super().__init__(exclusion_writer)
        self.index_path = str(index_path)
        self.n = n  # the 13-gram rule's n: the index is built with it (curate config decontam.n)
        self.min_hits = min_hits  # kept for configs; one match is enough (GPT-3 §C: one shared 13-gram)
        self._index: BenchmarkIndex | None = None

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        matches = self._index.match(doc.text)
        if len(matches) >= self.min_hits:
            doc.metadata[META_CONTAMINATED] = True
            doc.metadata[META_CONTAMINATION] = contamination_details(matches)
            return False, "benchmark_contamination"
        return True

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        self._index = load_ngram_index(self.index_path)
        yield from super().run(data, rank, world_size)
