"""Where curated documents end up: WebDocument shards registered in the store.

- `RejectSink`: one per pipeline; every filter's exclusion writer is a `sink.view(step)`, so all rejected
  documents of a task are collected with {"filter": step, "reason": snake_case} in metadata["drop"].
- `StoreWriter`: last step of a stage; at the end of the task it writes the kept documents as
  `<dataset>` part=rank and the rejected ones as `<dataset>.rejected` part=reject_offset+rank (atomic shards,
  registered in the catalog by `Store.write_shard`; a re-run of the same rank overwrites the same part).
"""

from __future__ import annotations

import xxhash
from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.base import PipelineStep

from datamill.store import Store
from schemas import WebDocument
from schemas.web import (
    FIELD_KEYS,
    META_CONTAMINATED,
    META_DROP,
    META_EDU,
    META_EXACT_HASH,
    META_EXTRACTED,
    META_FILTER_REASON,
    META_HTML,
    META_LANGUAGE,
    META_LANGUAGE_SCORE,
    META_LICENSE,
    META_MINHASH_CLUSTER,
    META_PII,
    META_QUALITY,
    META_SOURCE,
    META_URL,
)

REJECTED_SUFFIX = ".rejected"
REJECT_TEXT_CHARS = 20_000  # rejected raw HTML is kept for audit, cut to this length


def doc_id(key: str, text: str) -> str:
    """Deterministic id: hash of url-or-source + text."""
    return xxhash.xxh3_128_hexdigest(f"{key}\x00{text}".encode())[:24]


class _SinkView:
    def __init__(self, sink: RejectSink, step: str, default_reason: str):
        self.sink, self.step, self.default_reason = sink, step, default_reason

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def write(self, doc: Document, rank: int = 0) -> None:
        self.sink.add(doc, self.step, doc.metadata.pop(META_FILTER_REASON, None) or self.default_reason)


class RejectSink:
    """Collects rejected documents of the running task (shared by reference inside one pickled pipeline)."""

    def __init__(self):
        self.docs: list[Document] = []

    def view(self, step: str, default_reason: str = "dropped") -> _SinkView:
        return _SinkView(self, step, default_reason)

    def add(self, doc: Document, step: str, reason: str) -> None:
        doc.metadata[META_DROP] = {"filter": step, "reason": reason}
        self.docs.append(doc)

    def drain(self) -> list[Document]:
        out, self.docs = self.docs, []
        return out


def to_web_document(doc: Document, num_tokens: int) -> WebDocument:
    m = doc.metadata
    cluster, exact = m.get(META_MINHASH_CLUSTER), m.get(META_EXACT_HASH)
    rejected = META_DROP in m
    text = (
        doc.text[:REJECT_TEXT_CHARS]
        if rejected and m.get(META_HTML) and META_EXTRACTED not in m
        else doc.text
    )
    return WebDocument(
        id=doc.id,
        text=text,
        url=m.get(META_URL) or "",
        source=m.get(META_SOURCE) or "",
        language=m.get(META_LANGUAGE) or "und",
        language_score=float(m.get(META_LANGUAGE_SCORE) or 0.0),
        quality_scores={k: float(v) for k, v in (m.get(META_QUALITY) or {}).items()},
        edu_score=m.get(META_EDU),
        dedup_cluster=f"minhash:{cluster}"
        if cluster not in (None, -1)
        else (f"exact:{exact}" if exact else None),
        license=m.get(META_LICENSE) or "",
        pii_counts={k: int(v) for k, v in (m.get(META_PII) or {}).items()},
        contaminated=bool(m.get(META_CONTAMINATED, False)),
        num_tokens=num_tokens,
        metadata={k: v for k, v in m.items() if k not in FIELD_KEYS},
    )


def write_docs(
    store: Store, dataset: str, run_id: str, part: int, docs: list[Document], tokenizer: str | None = None
) -> int:
    from datamill.tokens import count_tokens

    docs = sorted(docs, key=lambda d: d.id)  # shard content independent of arrival order
    counts = count_tokens([d.text for d in docs], tokenizer) if docs else []
    store.write_shard(
        dataset, run_id, part, [to_web_document(d, n) for d, n in zip(docs, counts)], kind="web"
    )
    return len(docs)


class StoreWriter(PipelineStep):
    """Collects the task's documents; at the end writes kept (unless `write_kept` is False) and rejected shards."""

    name = "🗄 Store writer"
    type = "💽 - WRITER"

    def __init__(
        self,
        store_root: str,
        dataset: str,
        run_id: str,
        sink: RejectSink,
        reject_offset: int = 0,
        write_kept: bool = True,
        tokenizer: str | None = None,
    ):
        super().__init__()
        self.store_root, self.dataset, self.run_id = str(store_root), dataset, run_id
        self.sink, self.reject_offset, self.write_kept, self.tokenizer = (
            sink,
            reject_offset,
            write_kept,
            tokenizer,
        )

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        kept = []
        for doc in data:
            if self.write_kept:
                kept.append(doc)
            yield doc
        store = Store(self.store_root)
        with self.track_time():
            if self.write_kept:
                self.stat_update(
                    "kept", value=write_docs(store, self.dataset, self.run_id, rank, kept, self.tokenizer)
                )
            rejected = self.sink.drain()
            self.stat_update("rejected", value=len(rejected))
            write_docs(
                store,
                self.dataset + REJECTED_SUFFIX,
                self.run_id,
                self.reject_offset + rank,
                rejected,
                self.tokenizer,
            )
