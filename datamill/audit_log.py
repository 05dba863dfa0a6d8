"""The audit log on disk: the source of truth for reviewers' decisions.

`<store>/_audits/<host>-<pid>-<rand>.jsonl`: one file per writing process (appends of different processes
never interleave, even on file systems without atomic O_APPEND), one JSON entry per line, each line written
with one write() and fsynced before the decision counts as saved. Files are append-only and never deleted
or rewritten: the catalog's `audits` table is a cache of this log (`datamill index` rebuilds it from here),
so a reader never meets a file that vanished under it. A torn last line (writer killed mid-write) stays
where it is and is reported as `file:line`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import socket
import threading
import uuid
from pathlib import Path

DECISIONS = ("accept", "reject", "flag")
LOG_DIR = "_audits"

_FILES: dict[tuple[Path, int], Path] = {}
_APPEND_LOCK = threading.Lock()  # a Streamlit server runs sessions in threads that share this process's file


def log_dir(root: Path) -> Path:
    return Path(root) / LOG_DIR


def own_file(root: Path) -> Path:
    """This process's log file (a forked child gets its own: the key holds the pid)."""
    key = (Path(root).resolve(), os.getpid())
    with _APPEND_LOCK:
        if key not in _FILES:
            _FILES[key] = log_dir(root) / f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}.jsonl"
        return _FILES[key]


def new_entry(sample_id: str, decision: str, reason: str, reviewer: str) -> dict:
    return {
        "entry_id": uuid.uuid4().hex,
        "sample_id": sample_id,
        "decision": decision,
        "reason": reason,
        "reviewer": reviewer,
        "ts": dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(timespec="microseconds"),
    }


def append(root: Path, entries: list[dict]) -> Path:
    """Append entries to this process's file with one write() and fsync it (and the folder when the file is
    new, so the file itself survives a crash). A short write is cut back off, so no torn line is left behind."""
    path = own_file(root)
    data = "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in entries).encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    with _APPEND_LOCK:
        created = not path.exists()
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            size = os.fstat(fd).st_size
            written = os.write(fd, data)
            if written != len(data):
                os.ftruncate(fd, size)
                raise OSError(
                    f"short write to the audit log {path} ({written} of {len(data)} bytes; disk full?)"
                )
            os.fsync(fd)
        finally:
            os.close(fd)
        if created:
            dfd = os.open(path.parent, os.O_RDONLY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)
    return path


def audit_id(entry: dict) -> int:
    """The catalog `audits.audit_id` of an entry: carried by entries adopted from a catalog, else derived from
    entry_id — the same number on every replay, so the latest decision per sample (ts, then audit_id) is too."""
    if entry.get("audit_id") is not None:
        return int(entry["audit_id"])
    return int.from_bytes(hashlib.sha256(entry["entry_id"].encode()).digest()[:8], "big") >> 1  # fits BIGINT


def _parse(line: bytes) -> dict:
    e = json.loads(line)
    if (
        not isinstance(e, dict)
        or e.get("decision") not in DECISIONS
        or not e.get("entry_id")
        or not e.get("sample_id")
    ):
        raise ValueError("missing entry_id/sample_id or unknown decision")
    dt.datetime.fromisoformat(str(e.get("ts")))  # ValueError for a missing or garbled time
    return e


def read(root: Path, start: dict[str, int] | None = None) -> tuple[list[dict], list[str], dict[str, int]]:
    """Entries of every log file (file name order, then line order) from byte offset start[name] on; the
    'file:line: why' of unreadable lines; and per file the offset just past its last complete line.

    A last line without its newline is not consumed (its writer may be writing it right now) and is reported."""
    start = start or {}
    entries, bad, ends = [], [], {}
    folder = log_dir(root)
    for f in sorted(folder.glob("*.jsonl")) if folder.is_dir() else []:
        offset = start.get(f.name, 0)
        try:
            with open(f, "rb") as fh:
                if offset > os.fstat(fh.fileno()).st_size:
                    offset = 0  # the file was replaced by a shorter one: read it all (replay is idempotent)
                fh.seek(offset)
                data = fh.read()
        except OSError as e:
            bad.append(f"{f}: cannot be read ({e})")
            continue
        lines = data.split(b"\n")
        complete, tail = lines[:-1], lines[-1]
        for i, line in enumerate(complete, start=1):
            if not line.strip():
                continue
            try:
                entries.append(_parse(line))
            except (json.JSONDecodeError, UnicodeDecodeError, ValueError, TypeError) as err:
                bad.append(f"{f}:{_where(i, offset)}: {err}")
        ends[f.name] = offset + len(data) - len(tail)
        if tail.strip():
            bad.append(
                f"{f}:{_where(len(complete) + 1, offset)}: incomplete last line (its writer was "
                "killed mid-write, or is writing it now)"
            )
    return entries, bad, ends


def _where(i: int, offset: int) -> str:
    """The line number when reading from the start; after an offset, the line counted from there."""
    return str(i) if offset == 0 else f"+{i} after byte {offset}"


def row_key(sample_id: str, decision: str, reason, reviewer, ts) -> tuple:
    """What makes two audit rows the same decision: everything but the audit_id, with the time normalised
    (the log holds ISO text, the catalog a TIMESTAMP)."""
    if ts is not None and not isinstance(ts, dt.datetime):
        ts = dt.datetime.fromisoformat(str(ts))
    return sample_id, decision, reason, reviewer, ts and ts.isoformat(timespec="microseconds")


def entry_key(e: dict) -> tuple:
    return row_key(e["sample_id"], e["decision"], e.get("reason"), e.get("reviewer"), e["ts"])
