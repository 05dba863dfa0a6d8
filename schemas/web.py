"""WebDocument: one curated web page (text after extraction) with its scores and provenance."""

from __future__ import annotations

from typing import Any, ClassVar

import pyarrow as pa
from pydantic import Field

from schemas.records import JSON, Record, json_dump, json_load

# Keys of a datatrove Document's metadata during curation, named once: the readers and steps write them, the
# store writer (curation/sink.py) turns the FIELD_KEYS ones into WebDocument fields and keeps the rest in
# WebDocument.metadata (the catalog reads `contaminated` / `contamination` / `drop` from there).
META_SOURCE = "source"  # curation.readers: the input file (and record offset)
META_URL = "url"  # curation.readers
META_LICENSE = "license"  # curation.readers
META_HTML = "is_html"  # curation.readers: the text is still raw HTML
META_FILE_PATH = "file_path"  # datatrove's disk readers
META_EXTRACTED = "extracted"  # curation.extract: HTML was turned into text
META_LANGUAGE = "language"  # filters.language_router
META_LANGUAGE_SCORE = "language_score"  # filters.language_router
META_QUALITY = "quality_scores"  # filters.quality
META_EDU = "edu_score"  # filters.edu (fastText classifier)
META_EDU_LLM = "edu_llm_score"  # filters.edu (LLM labels; stays in metadata)
META_PII = "pii_counts"  # filters.pii
META_CONTAMINATED = "contaminated"  # filters.decontam
META_CONTAMINATION = "contamination"  # filters.decontam: the matched benchmark items (stays in metadata)
META_EXACT_HASH = "exact_hash"  # curation.dedup
META_DUPLICATE_OF = "duplicate_of"  # curation.dedup (stays in metadata)
META_MINHASH_CLUSTER = "minhash_cluster_id"  # datatrove's MinhashDedupFilter (-1: no cluster)
META_FILTER_REASON = "filter_reason"  # datatrove's BaseFilter: why a filter dropped the document
META_DROP = "drop"  # curation.sink: {"filter": step, "reason": snake_case} of a rejected document
# metadata keys that become WebDocument fields (or are only bookkeeping), so not kept in WebDocument.metadata
FIELD_KEYS = frozenset(
    {
        META_URL,
        META_SOURCE,
        META_LANGUAGE,
        META_LANGUAGE_SCORE,
        META_QUALITY,
        META_EDU,
        META_LICENSE,
        META_PII,
        META_CONTAMINATED,
        META_MINHASH_CLUSTER,
        META_EXACT_HASH,
        META_HTML,
        META_FILE_PATH,
    }
)


class WebDocument(Record):
    KIND: ClassVar[str] = "web"
    ARROW_SCHEMA: ClassVar[pa.Schema] = pa.schema(
        [
            ("schema_version", pa.int32()),
            ("id", pa.string()),
            ("dataset", pa.string()),
            ("text", pa.string()),
            ("url", pa.string()),
            ("source", pa.string()),
            ("language", pa.string()),
            ("language_score", pa.float64()),
            ("quality_scores", pa.map_(pa.string(), pa.float64())),
            ("edu_score", pa.float64()),
            ("dedup_cluster", pa.string()),
            ("license", pa.string()),
            ("pii_counts", pa.map_(pa.string(), pa.int64())),
            ("contaminated", pa.bool_()),
            ("num_tokens", pa.int64()),
            ("metadata", JSON),
        ]
    )

    id: str = Field(min_length=1)
    dataset: str = ""
    text: str
    url: str = ""
    source: str = ""  # file (and record offset) the document was read from
    language: str = "und"
    language_score: float = Field(default=0.0, ge=0.0, le=1.0)
    quality_scores: dict[str, float] = Field(default_factory=dict)
    edu_score: float | None = None
    dedup_cluster: str | None = None
    license: str = ""
    pii_counts: dict[str, int] = Field(default_factory=dict)
    contaminated: bool = False
    num_tokens: int = Field(default=0, ge=0)
    metadata: dict[str, Any] = Field(default_factory=dict)

    def to_row(self) -> dict:
        row = self.model_dump(exclude={"metadata", "quality_scores", "pii_counts"})
        row["quality_scores"] = list(self.quality_scores.items())
        row["pii_counts"] = list(self.pii_counts.items())
        row["metadata"] = json_dump(self.metadata)
        return row

    @classmethod
    def row_to_fields(cls, row: dict) -> dict:
        row = dict(row)
        row["quality_scores"] = dict(row.get("quality_scores") or [])
        row["pii_counts"] = dict(row.get("pii_counts") or [])
        row["metadata"] = json_load(row.get("metadata"), {})
        return row
