"""Tolerant readers for seed files: bad records are quarantined with file:line (byte offset) and a reason,
the rest is read. One home for "read JSON Lines / JSON / CSV without losing the good rows", and for the
quarantine record format (curation's readers use it too)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from datamill.atomic import atomic_write_text
from datamill.errors import InputError


@dataclass
class Quarantine:
    """Bad input items: where they are and why they were set aside."""

    items: list[dict] = field(default_factory=list)

    def add(
        self, file: str | Path, line: int | None, offset: int | None, reason: str, detail: bytes | str = ""
    ) -> None:
        """`where` is file:line for line-based inputs, else file:byte offset (archives, binary files)."""
        if isinstance(detail, bytes):
            detail = detail[:300].decode("utf-8", errors="backslashreplace")
        pos = line if line is not None else offset
        self.items.append(
            {
                "where": f"{file}:{pos}" if pos is not None else str(file),
                "file": str(file),
                "line": line,
                "offset": offset,
                "reason": reason,
                "detail": detail[:300],
            }
        )

    def __len__(self) -> int:
        return len(self.items)

    def lines(self) -> list[str]:
        return [f"{q['file']}:{q['line']}: {q['reason']} (byte {q['offset']})" for q in self.items]

    def write(self, path: str | Path) -> None:
        atomic_write_text(path, "".join(json.dumps(q, ensure_ascii=False) + "\n" for q in self.items))


def iter_jsonl(
    path: str | Path, quarantine: Quarantine, max_line_bytes: int = 64 << 20
) -> Iterator[tuple[int, dict]]:
    """Yield (line number, object) for each good line; quarantine invalid UTF-8, malformed JSON, non-objects,
    and absurdly long lines."""
    path = Path(path)
    offset = 0
    with open(path, "rb") as f:
        for n, raw in enumerate(f, 1):
            start, offset = offset, offset + len(raw)
            if not raw.strip():
                continue
            if len(raw) > max_line_bytes:
                quarantine.add(
                    path, n, start, f"line_too_long ({len(raw):,} bytes > {max_line_bytes:,})", raw
                )
                continue
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                quarantine.add(path, n, start + e.start, "invalid_utf8", raw)
                continue
            try:
                obj = json.loads(text)
            except json.JSONDecodeError as e:
                quarantine.add(
                    path, n, start + e.pos, f"malformed_json: {e.msg} (char {e.pos} of the line)", raw
                )
                continue
            if not isinstance(obj, dict):
                quarantine.add(path, n, start, f"not_an_object: {type(obj).__name__}", raw)
                continue
            yield n, obj


def iter_jsonl_errors(path: str | Path, errors: list[str], **kw) -> Iterator[tuple[int, dict]]:
    """`iter_jsonl` for callers that keep a list of "file:line: why" strings, in file order."""
    q, seen = Quarantine(), 0
    for n, obj in iter_jsonl(path, q, **kw):
        errors.extend(q.lines()[seen:])
        seen = len(q)
        yield n, obj
    errors.extend(q.lines()[seen:])


def read_json(path: str | Path) -> object:
    """A whole JSON document; errors name file:line:column."""
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as e:
        raise InputError(f"{path}: invalid UTF-8 at byte {e.start}") from None
    except json.JSONDecodeError as e:
        raise InputError(f"{path}:{e.lineno}:{e.colno}: malformed JSON: {e.msg}") from None


def iter_csv(path: str | Path, quarantine: Quarantine) -> Iterator[tuple[int, dict]]:
    """Rows of a CSV with a header; undecodable or short rows are quarantined."""
    path = Path(path)
    data = path.read_bytes()
    text = data.decode("utf-8", errors="replace")
    reader = csv.DictReader(io.StringIO(text))
    for row in reader:
        n = reader.line_num
        if None in row or any(v is None for v in row.values()):
            quarantine.add(path, n, None, "wrong_column_count", json.dumps(row, ensure_ascii=False))
            continue
        if any("\ufffd" in v for v in row.values()):
            quarantine.add(path, n, None, "invalid_utf8", json.dumps(row, ensure_ascii=False))
            continue
        yield n, row
