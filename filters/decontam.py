"""Benchmark decontamination: drop web documents that share a 13-gram with any evaluation item.

13-grams of lower-cased word tokens (\\w+), as in GPT-3 (arXiv 2005.14165 §C, "13-gram overlap") and the Llama 2 /
FineWeb decontamination runs. The index is a sorted uint64 array of n-gram hashes with a parallel array
of benchmark ids, built once per job (`build_ngram_index`) and loaded by each task.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import xxhash
from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.filters.base_filter import BaseFilter

NGRAM = 13  # GPT-3 §C
META_CONTAMINATED = "contaminated"
META_CONTAMINATION = "contamination"
_WORD = re.compile(r"\w+", re.UNICODE)


_P = np.uint64(0x100000001B3)  # FNV-64 prime: n-gram hash = polynomial over the words' xxh64 hashes (mod 2^64)


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


def build_ngram_index(texts_by_benchmark: dict[str, list[str]], n: int = NGRAM) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(sorted unique hashes, benchmark id per hash, benchmark names)."""
    names = sorted(texts_by_benchmark)
    hashes, ids = [], []
    for bid, name in enumerate(names):
        h = np.unique(np.concatenate([ngram_hashes(t, n) for t in texts_by_benchmark[name]] or [np.empty(0, np.uint64)]))
        hashes.append(h)
        ids.append(np.full(len(h), bid, dtype=np.int16))
    all_h = np.concatenate(hashes) if hashes else np.empty(0, np.uint64)
    all_ids = np.concatenate(ids) if ids else np.empty(0, np.int16)
    order = np.argsort(all_h, kind="stable")
    return all_h[order], all_ids[order], names


def save_ngram_index(path: str | Path, index: tuple[np.ndarray, np.ndarray, list[str]]) -> None:
    hashes, ids, names = index
    tmp = Path(f"{path}.tmp.npz")
    np.savez(tmp, hashes=hashes, ids=ids, names=np.array(names, dtype=object))
    tmp.replace(path)


def load_ngram_index(path: str | Path) -> tuple[np.ndarray, np.ndarray, list[str]]:
    z = np.load(path, allow_pickle=True)
    return z["hashes"], z["ids"], list(z["names"])


def find_overlap(text: str, index: tuple[np.ndarray, np.ndarray, list[str]], n: int = NGRAM) -> dict[str, int]:
    """Benchmark name → number of the text's n-grams found in that benchmark."""
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


class DecontaminationFilter(BaseFilter):
    """Drops documents with >= `min_hits` benchmark 13-grams; marks them contaminated (the sink records them)."""

    name = "🧪 Decontamination"

    def __init__(self, index_path: str, n: int = NGRAM, min_hits: int = 1, exclusion_writer=None):
        super().__init__(exclusion_writer)
        self.index_path = str(index_path)
        self.n = n
        self.min_hits = min_hits  # one shared 13-gram is enough (GPT-3 §C)
        self._index = None

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        hits = find_overlap(doc.text, self._index, self.n)
        if sum(hits.values()) >= self.min_hits:
            doc.metadata[META_CONTAMINATED] = True
            doc.metadata[META_CONTAMINATION] = hits
            return False, "benchmark_contamination"
        return True

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        self._index = load_ngram_index(self.index_path)
        yield from super().run(data, rank, world_size)
