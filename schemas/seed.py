"""SeedProblem: one query with a checkable answer (math / code / logic), before any model has answered it."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import pyarrow as pa
from pydantic import Field

from schemas.records import JSON, Record, json_dump, json_load


class SeedProblem(Record):
    KIND: ClassVar[str] = "seed"
    ARROW_SCHEMA: ClassVar[pa.Schema] = pa.schema(
        [
            ("schema_version", pa.int32()),
            ("id", pa.string()),
            ("source", pa.string()),
            ("domain", pa.string()),
            ("language", pa.string()),
            ("question", pa.string()),
            ("ground_truth", pa.string()),
            ("reference_solution", pa.string()),
            ("tests", pa.list_(pa.string())),
            ("entry_point", pa.string()),
            ("license", pa.string()),
            ("metadata", JSON),
        ]
    )

    id: str = Field(min_length=1)  # e.g. "gsm8k:train:17", "mbpp:2", "logic:chain_sum:0:3"
    source: str  # dataset + split + file:row where it was read
    domain: Literal["math", "code", "logic"]
    language: str = "en"
    question: str = Field(min_length=1)  # the user turn, as the model will see it
    ground_truth: str = ""  # math: final answer; logic: the task's answer; code: "" (tests decide)
    reference_solution: str = (
        ""  # the dataset's own worked solution / canonical code (verified like a response)
    )
    tests: list[str] = Field(default_factory=list)  # code: Python test snippets (assert lines / check())
    entry_point: str = ""  # code: function under test
    license: str = ""
    metadata: dict[str, Any] = Field(default_factory=dict)  # e.g. level, type, reasoning-gym task entry

    def to_row(self) -> dict:
        row = self.model_dump(exclude={"metadata"})
        row["metadata"] = json_dump(self.metadata)
        return row

    @classmethod
    def row_to_fields(cls, row: dict) -> dict:
        row = dict(row)
        row["metadata"] = json_load(row.get("metadata"), {})
        row["tests"] = list(row.get("tests") or [])
        return row
