"""SFTSample: one supervised sample in any of the EXAONE 4.0 SFT domains, with verdicts and lineage."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field, field_validator

from schemas.message import MESSAGE_ARROW, Message, message_from_row, message_to_row
from schemas.records import JSON, Record, json_dump, json_load

# The report's five SFT domains, with Math/Code/Logic split so verifiers and mixtures can tell them apart.
DOMAINS = ("world_knowledge", "math", "code", "logic", "long_context", "tool_use", "multilingual")
MODES = ("reasoning", "non_reasoning")
Domain = Literal["world_knowledge", "math", "code", "logic", "long_context", "tool_use", "multilingual"]
Mode = Literal["reasoning", "non_reasoning"]


class Verdict(BaseModel):
    """One check's outcome. `reason` is snake_case and says why (e.g. 'wrong_answer', 'timeout')."""

    model_config = ConfigDict(extra="forbid")
    verifier: str
    passed: bool
    reason: str = ""
    details: dict[str, Any] = Field(default_factory=dict)


class Lineage(BaseModel):
    """Where a record came from: parent record ids, the source, and the generation that made it."""

    model_config = ConfigDict(extra="forbid")
    parent_ids: list[str] = Field(default_factory=list)
    source: str = ""  # e.g. "gsm8k:train:17", a URL, a file path
    model: str | None = None  # generator model, or "reference" for dataset solutions
    params: dict[str, Any] = Field(default_factory=dict)  # sampling params
    seed: int | None = None
    prompt_id: str | None = None  # hash of the rendered prompt


def lineage_to_row(lineage: Lineage) -> dict:
    return {**lineage.model_dump(), "params": json_dump(lineage.params)}


def lineage_from_row(row: dict | None) -> dict:
    lin = dict(row or {})
    lin["params"] = json_load(lin.get("params"), {})
    return lin


VERDICT_ARROW = pa.struct(
    [("verifier", pa.string()), ("passed", pa.bool_()), ("reason", pa.string()), ("details", pa.string())]
)
LINEAGE_ARROW = pa.struct(
    [
        ("parent_ids", pa.list_(pa.string())),
        ("source", pa.string()),
        ("model", pa.string()),
        ("params", pa.string()),
        ("seed", pa.int64()),
        ("prompt_id", pa.string()),
    ]
)


class SFTSample(Record):
    KIND: ClassVar[str] = "sft"
    ARROW_SCHEMA: ClassVar[pa.Schema] = pa.schema(
        [
            ("schema_version", pa.int32()),
            ("id", pa.string()),
            ("dataset", pa.string()),
            ("domain", pa.string()),
            ("language", pa.string()),
            ("mode", pa.string()),
            ("messages", pa.list_(MESSAGE_ARROW)),
            ("tools", JSON),
            ("verdicts", pa.list_(VERDICT_ARROW)),
            ("scores", pa.map_(pa.string(), pa.float64())),
            ("num_tokens", pa.int64()),
            ("license", pa.string()),
            ("lineage", LINEAGE_ARROW),
            ("metadata", JSON),
        ]
    )

    id: str = Field(min_length=1)
    dataset: str = ""
    domain: Domain
    language: str = Field(min_length=2, max_length=8)  # ISO 639-1 ("en", "ko", "es", …)
    mode: Mode
    messages: list[Message] = Field(min_length=1)
    tools: list[dict[str, Any]] = Field(default_factory=list)  # JSON-schema tool definitions
    verdicts: list[Verdict] = Field(default_factory=list)
    scores: dict[str, float] = Field(default_factory=dict)
    num_tokens: int = Field(default=0, ge=0)
    license: str = ""
    lineage: Lineage = Field(default_factory=Lineage)
    metadata: dict[str, Any] = Field(default_factory=dict)

    @field_validator("messages")
    @classmethod
    def _has_assistant(cls, v: list[Message]):
        if not any(m.role == "assistant" for m in v):
            raise ValueError("an SFT sample needs at least one assistant message")
        return v

    @property
    def passed(self) -> bool:
        return all(v.passed for v in self.verdicts)

    def to_row(self) -> dict:
        row = self.model_dump(exclude={"messages", "verdicts", "lineage", "tools", "metadata", "scores"})
        row["messages"] = [message_to_row(m) for m in self.messages]
        row["tools"] = json_dump(self.tools)
        row["verdicts"] = [{**v.model_dump(), "details": json_dump(v.details)} for v in self.verdicts]
        row["scores"] = list(self.scores.items())
        row["lineage"] = lineage_to_row(self.lineage)
        row["metadata"] = json_dump(self.metadata)
        return row

    @classmethod
    def row_to_fields(cls, row: dict) -> dict:
        row = dict(row)
        row["messages"] = [message_from_row(m) for m in row.get("messages") or []]
        row["tools"] = json_load(row.get("tools"), [])
        row["verdicts"] = [
            {**v, "details": json_load(v.get("details"), {})} for v in row.get("verdicts") or []
        ]
        row["scores"] = dict(row.get("scores") or [])
        row["lineage"] = lineage_from_row(row.get("lineage"))
        row["metadata"] = json_load(row.get("metadata"), {})
        return row
