"""OpenAI-style chat messages with reasoning content, tool calls and tool results."""

from __future__ import annotations

import json
from typing import Any, Literal

import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field, field_validator

ROLES = ("system", "user", "assistant", "tool")


class ToolCall(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = ""
    name: str = Field(min_length=1)
    arguments: dict[str, Any] = Field(default_factory=dict)


class Message(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Literal["system", "user", "assistant", "tool"]
    content: str = ""
    # assistant only: the text inside <think>…</think> (EXAONE 4.0 reasoning mode)
    reasoning_content: str | None = None
    tool_calls: list[ToolCall] = Field(default_factory=list)
    # tool only: which call this result answers, and the tool's name
    tool_call_id: str | None = None
    name: str | None = None

    @field_validator("tool_calls")
    @classmethod
    def _only_assistant_calls(cls, v, info):
        if v and info.data.get("role") != "assistant":
            raise ValueError("only assistant messages carry tool_calls")
        return v


TOOL_CALL_ARROW = pa.struct(
    [("id", pa.string()), ("name", pa.string()), ("arguments", pa.string())]  # arguments: JSON text
)
MESSAGE_ARROW = pa.struct(
    [
        ("role", pa.string()),
        ("content", pa.string()),
        ("reasoning_content", pa.string()),
        ("tool_calls", pa.list_(TOOL_CALL_ARROW)),
        ("tool_call_id", pa.string()),
        ("name", pa.string()),
    ]
)


def message_to_row(m: Message) -> dict:
    row = m.model_dump()
    row["tool_calls"] = [
        {"id": c.id, "name": c.name, "arguments": json.dumps(c.arguments, ensure_ascii=False, sort_keys=True)}
        for c in m.tool_calls
    ]
    return row


def message_from_row(row: dict) -> dict:
    row = dict(row)
    row["tool_calls"] = [
        {**c, "arguments": json.loads(c["arguments"] or "{}")} for c in row.get("tool_calls") or []
    ]
    return row
