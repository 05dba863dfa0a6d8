"""PreferencePair: chosen/rejected responses to one query, with the hybrid reward that chose them."""

from __future__ import annotations

from typing import Any, ClassVar

import pyarrow as pa
from pydantic import Field

from schemas.message import MESSAGE_ARROW, Message, message_from_row, message_to_row
from schemas.records import JSON, Record, json_dump, json_load
from schemas.sft import LINEAGE_ARROW, Domain, Lineage, lineage_from_row, lineage_to_row


class PreferencePair(Record):
    KIND: ClassVar[str] = "preference"
    ARROW_SCHEMA: ClassVar[pa.Schema] = pa.schema(
        [
            ("schema_version", pa.int32()),
            ("id", pa.string()),
            ("dataset", pa.string()),
            ("query_id", pa.string()),
            ("domain", pa.string()),
            ("language", pa.string()),
            ("prompt", pa.list_(MESSAGE_ARROW)),
            ("chosen", pa.list_(MESSAGE_ARROW)),
            ("rejected", pa.list_(MESSAGE_ARROW)),
            ("chosen_id", pa.string()),
            ("rejected_id", pa.string()),
            ("chosen_reward", pa.float64()),
            ("rejected_reward", pa.float64()),
            ("reward_components", JSON),
            ("num_tokens", pa.int64()),
            ("license", pa.string()),
            ("lineage", LINEAGE_ARROW),
            ("metadata", JSON),
        ]
    )

    id: str = Field(min_length=1)
    dataset: str = ""
    query_id: str
    domain: Domain
    language: str = Field(min_length=2, max_length=8)
    prompt: list[Message] = Field(min_length=1)
    chosen: list[Message] = Field(min_length=1)
    rejected: list[Message] = Field(min_length=1)
    chosen_id: str  # id of the response record (lineage to both responses)
    rejected_id: str
    chosen_reward: float
    rejected_reward: float
    # per response id: {"correct": 1.0, "conciseness": 0.4, "language": 1.0, ...}
    reward_components: dict[str, dict[str, float]] = Field(default_factory=dict)
    num_tokens: int = Field(default=0, ge=0)
    license: str = ""
    lineage: Lineage = Field(default_factory=Lineage)
    metadata: dict[str, Any] = Field(default_factory=dict)

    def to_row(self) -> dict:
        row = self.model_dump(
            exclude={"prompt", "chosen", "rejected", "reward_components", "lineage", "metadata"}
        )
        for k in ("prompt", "chosen", "rejected"):
            row[k] = [message_to_row(m) for m in getattr(self, k)]
        row["reward_components"] = json_dump(self.reward_components)
        row["lineage"] = lineage_to_row(self.lineage)
        row["metadata"] = json_dump(self.metadata)
        return row

    @classmethod
    def row_to_fields(cls, row: dict) -> dict:
        row = dict(row)
        for k in ("prompt", "chosen", "rejected"):
            row[k] = [message_from_row(m) for m in row.get(k) or []]
        row["reward_components"] = json_load(row.get("reward_components"), {})
        row["lineage"] = lineage_from_row(row.get("lineage"))
        row["metadata"] = json_load(row.get("metadata"), {})
        return row
