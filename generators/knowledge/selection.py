"""Pick curated web documents from the catalog by educational value, language and topic.

The catalog answers which documents qualify (one DuckDB query over `samples`); their text is then read from
the shards themselves (the catalog keeps only a preview).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import pyarrow.parquet as pq

from datamill.errors import InputError
from datamill.store import Store
from generators.knowledge.config import SelectionConfig


@dataclass(frozen=True)
class SourceDocument:
    id: str
    text: str
    language: str
    edu_score: float | None  # None for documents that were not scored (e.g. seed files)
    license: str
    url: str
    in_catalog: bool = True  # a catalog record: its id goes into lineage.parent_ids

    @property
    def specialised_score(self) -> float:
        return self.edu_score if self.edu_score is not None else float("-inf")


def select_documents(store: Store, cfg: SelectionConfig) -> list[SourceDocument]:
    if not store.catalog_path.exists():
        return []
    where = ["kind = 'web'", "passed", "edu_score >= ?", "NOT coalesce(contaminated, false)"]
    params: list = [cfg.min_edu_score]
    if cfg.languages:
        where.append(f"language IN ({', '.join('?' * len(cfg.languages))})")
        params += cfg.languages
    if cfg.datasets:
        where.append(f"dataset IN ({', '.join('?' * len(cfg.datasets))})")
        params += cfg.datasets
    query = (
        f'SELECT id, shard, "row", language, edu_score FROM samples WHERE {" AND ".join(where)} ORDER BY id'
    )
    with store.connect(read_only=True) as con:
        rows = con.execute(query, params).fetchall()
    by_shard: dict[str, list[tuple]] = defaultdict(list)
    for r in rows:
        by_shard[r[1]].append(r)
    keywords = [k.lower() for k in cfg.topic_keywords]
    docs: list[SourceDocument] = []
    for shard, shard_rows in sorted(by_shard.items()):
        table = pq.read_table(store.root / shard, columns=["id", "text", "license", "url"])
        ids, texts = table.column("id").to_pylist(), table.column("text").to_pylist()
        licenses, urls = table.column("license").to_pylist(), table.column("url").to_pylist()
        for doc_id, _, row, language, edu in shard_rows:
            # the catalog row must point at this document; otherwise the store is stale
            if ids[row] != doc_id:
                raise InputError(
                    f"{store.root / shard}:row {row}: id {ids[row]!r} is not catalog id {doc_id!r} "
                    "(run `datamill check`)"
                )
            text = texts[row] or ""
            if keywords and not any(k in text.lower() for k in keywords):
                continue
            docs.append(
                SourceDocument(doc_id, text, language, float(edu), licenses[row] or "", urls[row] or "")
            )
    docs.sort(key=lambda d: d.id)
    return docs[: cfg.max_documents]
