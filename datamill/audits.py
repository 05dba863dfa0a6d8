"""The one API to record and read audit decisions (accept / reject / flag) on catalog samples.

A decision is durable before it touches the catalog: it is first appended (and fsynced) to this process's
journal file under <store>/_audits/, then replayed into the catalog `audits` table when the DuckDB write
lock is free. DuckDB lets one process write at a time, so while a long batch job holds the lock a reviewer's
click is still saved (journal), and the next flush — by any reviewer, the dashboard, `datamill audit --flush`
or a mixture build — moves it into the catalog. Replay is idempotent: each journal entry has a uuid, and the
uuids already applied are kept in the catalog table `audit_journal_applied`, written in the same transaction
as the audit rows. One journal file per process means concurrent writers never interleave lines; a torn last
line (killed mid-write) is skipped and reported.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb

from datamill import catalog
from datamill.store import Store

DECISIONS = ("accept", "reject", "flag")
JOURNAL_DIR = "_audits"
APPLIED_DDL = "CREATE TABLE IF NOT EXISTS audit_journal_applied (entry_id VARCHAR PRIMARY KEY, applied_at TIMESTAMP)"


@contextlib.contextmanager
def catalog_connection(path: str | Path, read_only: bool = False, timeout_s: float = 30.0):
    """datamill.catalog.connect, also waiting out a connection of this same process opened with the other
    mode: DuckDB refuses read-only and read-write connections to one file side by side in one process, which
    happens in a Streamlit server when one session reads while another records a decision."""
    deadline = time.monotonic() + timeout_s
    delay = 0.01
    while True:
        stack = contextlib.ExitStack()
        try:
            con = stack.enter_context(catalog.connect(path, read_only=read_only,
                                                      timeout_s=max(0.0, deadline - time.monotonic())))
            break
        except duckdb.ConnectionException as e:
            stack.close()
            if "different configuration" not in str(e) or time.monotonic() > deadline:
                raise catalog.CatalogBusy(f"catalog {path} is busy in this process: {e}") from e
            time.sleep(delay)
            delay = min(delay * 2, 0.2)
    with stack:
        yield con


@dataclass
class AuditResult:
    entry_id: str
    applied: bool  # True: in the catalog now; False: journaled, applied at the next flush


@dataclass
class FlushReport:
    applied: int = 0  # entries moved into the catalog by this flush
    pending: int = 0  # entries still only in the journal (catalog was busy)
    bad_lines: list[str] | None = None  # "file:line: why" for unreadable journal lines


_JOURNALS: dict[tuple[Path, int], Path] = {}
_LOCK = threading.Lock()  # a Streamlit server runs sessions in threads that share this process's journal


def _journal_path(root: Path) -> Path:
    # one file per process (host + pid + random): appends from different processes never interleave
    key = (root.resolve(), os.getpid())
    if key not in _JOURNALS:
        _JOURNALS[key] = root / JOURNAL_DIR / f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}.jsonl"
    return _JOURNALS[key]


def record_audit(store: Store | str | Path, sample_id: str, decision: str, reason: str = "", reviewer: str = "",
                 timeout_s: float = 5.0) -> AuditResult:
    """Save one decision durably (journal, fsync), then try to apply it to the catalog within timeout_s."""
    store = store if isinstance(store, Store) else Store(store)
    decision = decision.strip().lower()
    if decision not in DECISIONS:
        raise ValueError(f"audit decision must be one of {DECISIONS}, got {decision!r}")
    if not sample_id or not str(sample_id).strip():
        raise ValueError("audit needs a sample_id")
    if not reviewer or not reviewer.strip():
        raise ValueError("audit needs a reviewer name")
    entry = {"entry_id": uuid.uuid4().hex, "sample_id": str(sample_id), "decision": decision,
             "reason": reason.strip(), "reviewer": reviewer.strip(),
             "ts": dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(timespec="microseconds")}
    path = _journal_path(store.root)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _LOCK:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, (json.dumps(entry, ensure_ascii=False) + "\n").encode())
            os.fsync(fd)
        finally:
            os.close(fd)
    report = flush(store, timeout_s=timeout_s)
    return AuditResult(entry["entry_id"], applied=report.pending == 0)


def read_journal(store: Store | str | Path) -> tuple[list[dict], list[str]]:
    """All journal entries (oldest file first) and the 'file:line: why' of lines that could not be read."""
    root = (store.root if isinstance(store, Store) else Path(store)) / JOURNAL_DIR
    entries, bad = [], []
    for f in sorted(root.glob("*.jsonl")) if root.is_dir() else []:
        with open(f, encoding="utf-8", errors="replace") as fh:
            for i, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    e = json.loads(line)
                    if e.get("decision") not in DECISIONS or not e.get("entry_id") or not e.get("sample_id"):
                        raise ValueError("missing entry_id/sample_id or unknown decision")
                    entries.append(e)
                except (json.JSONDecodeError, ValueError, AttributeError) as err:
                    bad.append(f"{f}:{i}: {err}")
    return entries, bad


def _applied_ids(con) -> set[str]:
    exists = con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'audit_journal_applied'").fetchone()[0]
    if not exists:
        return set()
    return {r[0] for r in con.execute("SELECT entry_id FROM audit_journal_applied").fetchall()}


def pending_entries(store: Store | str | Path, timeout_s: float = 2.0) -> list[dict]:
    """Journal entries not yet in the catalog (all of them when the catalog cannot be read right now)."""
    store = store if isinstance(store, Store) else Store(store)
    entries, _ = read_journal(store)
    if not entries:
        return []
    try:
        with catalog_connection(store.catalog_path, read_only=True, timeout_s=timeout_s) as con:
            applied = _applied_ids(con)
    except (catalog.CatalogBusy, FileNotFoundError):
        applied = set()
    return [e for e in entries if e["entry_id"] not in applied]


def flush(store: Store | str | Path, timeout_s: float = 5.0) -> FlushReport:
    """Replay journal entries not yet applied into `audits` in one transaction; busy catalog → pending."""
    store = store if isinstance(store, Store) else Store(store)
    entries, bad = read_journal(store)
    rep = FlushReport(bad_lines=bad)
    if not entries:
        return rep
    try:
        with catalog_connection(store.catalog_path, timeout_s=timeout_s) as con:
            con.execute(APPLIED_DDL)
            con.execute("BEGIN TRANSACTION")
            try:
                applied = _applied_ids(con)
                todo = [e for e in entries if e["entry_id"] not in applied]
                for e in todo:
                    con.execute("INSERT INTO audits (sample_id, decision, reason, reviewer, ts) VALUES (?, ?, ?, ?, ?)",
                                [e["sample_id"], e["decision"], e.get("reason", ""), e.get("reviewer", ""), e["ts"]])
                    con.execute("INSERT INTO audit_journal_applied VALUES (?, now())", [e["entry_id"]])
                con.execute("COMMIT")
            except Exception:
                con.execute("ROLLBACK")
                raise
            rep.applied = len(todo)
            _compact(store.root, applied | {e["entry_id"] for e in todo})
    except catalog.CatalogBusy:
        rep.pending = len(pending_entries(store, timeout_s=0.5))
    return rep


def _writer_gone(f: Path) -> bool:
    """True for a journal of an exited process of this host ("<host>-<pid>-<rand>"): nobody appends to it again."""
    parts = f.stem.rsplit("-", 2)
    if len(parts) != 3 or parts[0] != socket.gethostname() or not parts[1].isdigit():
        return False
    try:
        os.kill(int(parts[1]), 0)
    except ProcessLookupError:
        return True
    except OSError:
        pass
    return False


def _compact(root: Path, applied: set[str]) -> None:
    """Delete journal files whose every entry is in the catalog: this process's own (under the lock, so no
    append can slip in between the check and the unlink) and those of exited processes on this host."""
    own = _JOURNALS.get((root.resolve(), os.getpid()))
    with _LOCK:
        for f in sorted((root / JOURNAL_DIR).glob("*.jsonl")):
            if f != own and not _writer_gone(f):
                continue
            try:
                ids = {json.loads(line).get("entry_id") for line in f.read_text(encoding="utf-8").splitlines() if line.strip()}
            except (OSError, json.JSONDecodeError, AttributeError):
                continue  # a torn line: keep the file, it is reported by read_journal
            if ids <= applied:
                f.unlink(missing_ok=True)


def latest_decisions(store: Store | str | Path, sample_ids: list[str] | None = None) -> dict[str, dict]:
    """sample_id → its latest decision {decision, reason, reviewer, ts, pending}, catalog plus journal."""
    store = store if isinstance(store, Store) else Store(store)
    out: dict[str, dict] = {}
    if store.catalog_path.exists():
        with catalog_connection(store.catalog_path, read_only=True) as con:
            q = "SELECT sample_id, decision, reason, reviewer, ts FROM latest_audits"
            rows = (con.execute(q + " WHERE list_contains(?, sample_id)", [sample_ids]).fetchall() if sample_ids
                    else con.execute(q).fetchall())
        for sid, d, r, who, ts in rows:
            out[sid] = {"decision": d, "reason": r, "reviewer": who, "ts": str(ts), "pending": False}
    for e in pending_entries(store):
        if sample_ids is not None and e["sample_id"] not in sample_ids:
            continue
        cur = out.get(e["sample_id"])
        if cur is None or e["ts"] >= cur["ts"].replace(" ", "T"):
            out[e["sample_id"]] = {k: e.get(k, "") for k in ("decision", "reason", "reviewer", "ts")} | {"pending": True}
    return out
