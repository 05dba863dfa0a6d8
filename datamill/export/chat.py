"""Chat export in OpenAI-style `messages` (Parquet + JSONL), DPO pairs, plain text, and a dataset card.

One message shape everywhere: {role, content, reasoning_content, tool_calls: [{id, type: "function",
function: {name, arguments: JSON string}}], tool_call_id, name}; `tools` is a JSON string of OpenAI tool specs
(as LLaMA-Factory's sharegpt format and most function-calling sets store it) so every row has one Arrow schema and
`datasets.load_dataset("parquet"|"json", ...)` loads it. TRL's SFTTrainer reads `messages`; DPOTrainer reads
`prompt` / `chosen` / `rejected` as message lists (conversational format).
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from schemas import Message, PreferencePair, SFTSample, WebDocument
from schemas.mixture import Manifest

TOOL_CALL = pa.struct(
    [
        ("id", pa.string()),
        ("type", pa.string()),
        ("function", pa.struct([("name", pa.string()), ("arguments", pa.string())])),
    ]
)
MESSAGE = pa.struct(
    [
        ("role", pa.string()),
        ("content", pa.string()),
        ("reasoning_content", pa.string()),
        ("tool_calls", pa.list_(TOOL_CALL)),
        ("tool_call_id", pa.string()),
        ("name", pa.string()),
    ]
)
CHAT_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("messages", pa.list_(MESSAGE)),
        ("tools", pa.string()),
        ("mode", pa.string()),
        ("domain", pa.string()),
        ("language", pa.string()),
        ("dataset", pa.string()),
        ("license", pa.string()),
        ("source", pa.string()),
        ("repeat", pa.int32()),
    ]
)


def openai_message(m: Message) -> dict:
    return {
        "role": m.role,
        "content": m.content,
        "reasoning_content": m.reasoning_content,
        "tool_calls": [
            {
                "id": c.id,
                "type": "function",
                "function": {"name": c.name, "arguments": json.dumps(c.arguments, ensure_ascii=False)},
            }
            for c in m.tool_calls
        ],
        "tool_call_id": m.tool_call_id,
        "name": m.name,
    }


def openai_tools(tools: list[dict]) -> str:
    """JSON string of OpenAI tool specs; bare JSON-schema function definitions get the {"type": "function"} wrapper."""
    return json.dumps(
        [
            t if t.get("type") == "function" and "function" in t else {"type": "function", "function": t}
            for t in tools
        ],
        ensure_ascii=False,
    )


def chat_row(s: SFTSample, repeat: int) -> dict:
    return {
        "id": s.id,
        "messages": [openai_message(m) for m in s.messages],
        "tools": openai_tools(s.tools),
        "mode": s.mode,
        "domain": s.domain,
        "language": s.language,
        "dataset": s.dataset,
        "license": s.license,
        "source": s.lineage.source,
        "repeat": repeat,
    }


def dpo_row(p: PreferencePair, repeat: int) -> dict:
    return {
        "id": p.id,
        "prompt": [openai_message(m) for m in p.prompt],
        "chosen": [openai_message(m) for m in p.chosen],
        "rejected": [openai_message(m) for m in p.rejected],
        "chosen_id": p.chosen_id,
        "rejected_id": p.rejected_id,
        "chosen_reward": p.chosen_reward,
        "rejected_reward": p.rejected_reward,
        "domain": p.domain,
        "language": p.language,
        "repeat": repeat,
    }


LINE_FILES = ("chat.jsonl", "preference.jsonl", "text.jsonl")  # what export_row's file index names


def export_row(rec, repeat: int) -> tuple[int, dict] | None:
    """(index into LINE_FILES, row) for one manifest entry; None for a record kind with no chat file."""
    if isinstance(rec, SFTSample):
        return 0, chat_row(rec, repeat)
    if isinstance(rec, PreferencePair):
        return 1, dpo_row(rec, repeat)
    if isinstance(rec, WebDocument):
        return 2, {
            "id": rec.id,
            "text": rec.text,
            "language": rec.language,
            "license": rec.license,
            "source": rec.url or rec.source,
            "repeat": repeat,
        }
    return None


def jsonl_line(row: dict) -> bytes:
    return (json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8")


def write_lines(out: Path, name: str, lines: Iterator[list[bytes]]) -> int:
    """Write `name` (JSONL) from batches of lines, and chat.parquet beside chat.jsonl; atomic. Returns rows."""
    tmp, n, writer = out / (name + ".tmp"), 0, None
    ptmp = out / "chat.parquet.tmp"
    try:
        with open(tmp, "wb") as f:
            for batch in lines:
                f.write(b"".join(batch))
                n += len(batch)
                if name == "chat.jsonl":
                    writer = writer or pq.ParquetWriter(ptmp, CHAT_SCHEMA, compression="zstd")
                    writer.write_table(
                        pa.Table.from_pylist([json.loads(x) for x in batch], schema=CHAT_SCHEMA)
                    )
            f.flush()
            os.fsync(f.fileno())
        if writer:
            writer.close()
            writer = None
            ptmp.replace(out / "chat.parquet")
        tmp.replace(out / name)
    finally:
        if writer:
            writer.close()
    return n


def dataset_card(manifest: Manifest, licenses: Counter, files: dict, packed: dict | None) -> str:
    """README.md with HF `configs` front matter and stats from the manifest entries (licenses: per entry)."""
    entries = manifest.samples
    tok = Counter()
    for key in ("component", "kind", "mode", "language", "dataset"):
        for e in entries:
            tok[(key, getattr(e, key) or "-")] += e.tokens
    configs = []
    if "chat.parquet" in files:
        configs.append(("sft", "chat.parquet"))
    if "preference.jsonl" in files:
        configs.append(("preference", "preference.jsonl"))
    if "text.jsonl" in files:
        configs.append(("text", "text.jsonl"))
    front = ["---", "configs:"] + [f"- config_name: {n}\n  data_files: {f}" for n, f in configs] + ["---"]
    lines = front + [
        f"# {manifest.name} (datamill mixture export)",
        "",
        f"- manifest spec hash: `{manifest.spec_hash}`",
        f"- catalog state: `{manifest.catalog_state}`",
        (
            f"- samples: {len(entries)} ({len({e.id for e in entries})} unique), "
            f"tokens: {sum(e.tokens for e in entries)}"
        ),
        (
            f"- reasoning:non-reasoning tokens: {manifest.totals.reasoning_ratio}:1 "
            f"(target {manifest.totals.reasoning_ratio_target})"
        ),
        "",
        (
            'Load: `datasets.load_dataset("parquet", data_files="chat.parquet")` — '
            "columns `messages` (OpenAI style, with `reasoning_content` and `tool_calls`), "
            "`tools` (JSON string)."
        ),
        "",
    ]
    for key in ("component", "kind", "mode", "language", "dataset"):
        lines += [f"| {key} | tokens | share |", "|---|---:|---:|"]
        total = sum(v for (k, _), v in tok.items() if k == key) or 1
        lines += [f"| {v} | {n} | {n / total:.1%} |" for (k, v), n in sorted(tok.items()) if k == key] + [""]
    lines += (
        ["| license | samples |", "|---|---:|"]
        + [f"| {k} | {v} |" for k, v in sorted(licenses.items())]
        + [""]
    )
    lines += ["| file | rows |", "|---|---:|"] + [f"| {k} | {v} |" for k, v in files.items()] + [""]
    if packed:
        lines += ["## Packed tokens", "", "```json", json.dumps(packed, indent=1), "```", ""]
    return "\n".join(lines)
