"""Dedup stages. Documents from the filter stage (any number of tasks) are first gathered, ordered by id and
written into a FIXED number of shards (`dedup.shards`), so datatrove's MinHash stages — whose choice of which
duplicate survives depends on file and document order — give the same output for any task count.

The gathering pass also does exact dedup: documents with the same normalised text (lower-cased, whitespace
folded; xxh3-64) keep the one with the smallest id; the others go to the rejected shards with reason
exact_duplicate. MinHash near-dup removal then runs as datatrove's four stages (signatures → buckets →
clusters → filter) with FineWeb's settings (5-grams, 14 buckets × 8 hashes; arXiv 2406.17557 §3.3).
"""

from __future__ import annotations

import gzip
import io
import json
import re
from pathlib import Path

import xxhash
from datatrove.data import DocumentsPipeline
from datatrove.pipeline.base import PipelineStep

from curation.sink import REJECTED_SUFFIX, RejectSink, write_docs
from datamill.store import Store
from schemas.web import META_DUPLICATE_OF, META_EXACT_HASH

EXACT_DEDUP_PART = 10_000  # rejected part of the gathering pass (stage-1 rejects use part = rank < 10000)
_WS = re.compile(r"\s+")


def text_hash(text: str) -> str:
    return xxhash.xxh3_64_hexdigest(_WS.sub(" ", text).strip().lower().encode())


class GatherExactDedup(PipelineStep):
    """Runs as one task: reads all stage-1 JSONL, drops exact duplicates, writes `shards` id-ordered files."""

    name = "🧲 Gather + exact dedup"
    type = "🫂 - DEDUP"

    def __init__(
        self,
        input_dir: str,
        output_dir: str,
        shards: int,
        store_root: str,
        dataset: str,
        run_id: str,
        exact: bool = True,
        tokenizer: str | None = None,
    ):
        super().__init__()
        self.input_dir, self.output_dir, self.shards = str(input_dir), str(output_dir), shards
        self.store_root, self.dataset, self.run_id = str(store_root), dataset, run_id
        self.exact, self.tokenizer = exact, tokenizer

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        from datatrove.pipeline.readers import JsonlReader

        has_input = any(Path(self.input_dir).glob("*.jsonl.gz"))  # no file when every document was dropped
        docs = sorted(
            JsonlReader(self.input_dir, glob_pattern="*.jsonl.gz").run(None, 0, 1) if has_input else [],
            key=lambda d: d.id,
        )
        sink = RejectSink()
        seen: dict[str, str] = {}
        buckets: list[list] = [[] for _ in range(self.shards)]
        for doc in docs:
            h = text_hash(doc.text)
            doc.metadata[META_EXACT_HASH] = h
            if self.exact and h in seen:
                doc.metadata[META_DUPLICATE_OF] = seen[h]
                sink.add(doc, "exact_dedup", "exact_duplicate")
                self.stat_update("exact_duplicates")
                continue
            seen[h] = doc.id
            buckets[int(doc.id[:8], 16) % self.shards].append(doc)
        out = Path(self.output_dir)
        out.mkdir(parents=True, exist_ok=True)
        for i, bucket in enumerate(buckets):
            tmp = out / f"{i:05d}.jsonl.gz.tmp"
            with (
                open(tmp, "wb") as raw,
                gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=1, mtime=0) as gz,
                io.TextIOWrapper(gz, encoding="utf-8") as f,
            ):
                for d in bucket:
                    f.write(
                        json.dumps({"id": d.id, "text": d.text, "metadata": d.metadata}, ensure_ascii=False)
                        + "\n"
                    )
            tmp.replace(out / f"{i:05d}.jsonl.gz")
        write_docs(
            Store(self.store_root),
            self.dataset + REJECTED_SUFFIX,
            self.run_id,
            EXACT_DEDUP_PART,
            sink.drain(),
            self.tokenizer,
        )
        self.stat_update("documents", value=len(docs))
        yield from ()


def minhash_config(n_grams: int, num_buckets: int, hashes_per_bucket: int):
    from datatrove.pipeline.dedup.minhash import MinhashConfig
    from datatrove.utils.hashing import HashConfig

    return MinhashConfig(
        n_grams=n_grams,
        num_buckets=num_buckets,
        hashes_per_bucket=hashes_per_bucket,
        hash_config=HashConfig(precision=64),
    )
