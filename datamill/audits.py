"""The one API to record and read audit decisions (accept / reject / flag) on catalog samples.

A decision is durable before it touches the catalog: it is appended (and fsynced) to the audit log
(datamill/audit_log.py: one append-only file per process under <store>/_audits/, never deleted), then
applied to the catalog `audits` table when the DuckDB write lock is free. DuckDB lets one process write at a
time, so while a long batch job holds the lock a reviewer's click is still saved, and the next flush — by any
reviewer, the dashboard, `datamill audit --flush` or a mixture build — moves it in. The catalog is a cache of
the log: datamill/audit_replay.py rebuilds `audits` from it row for row (`datamill index`) and says where
they disagree (`datamill check`).

Applying is idempotent: the entry ids applied are kept in `audit_journal_applied` and each entry's audit_id
is fixed by the log, both written in the transaction that inserts the rows; `audit_log_offsets` remembers
how far each file was applied, so a flush reads only what is new. Within one process every flush takes one
lock (Streamlit sessions are threads: two flushes side by side conflicted inside DuckDB); across processes
DuckDB's file lock orders them.
"""

from __future__ import annotations

import contextlib
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from datamill import audit_log, catalog
from datamill.audit_log import DECISIONS, LOG_DIR
from datamill.catalog_gate import catalog_connection  # dashboards import it from here
from datamill.errors import InputError
from datamill.store import Store

JOURNAL_DIR = LOG_DIR  # the folder's older name, kept for callers
TABLES_DDL = """
CREATE TABLE IF NOT EXISTS audit_journal_applied (entry_id VARCHAR PRIMARY KEY, applied_at TIMESTAMP);
CREATE TABLE IF NOT EXISTS audit_log_offsets (file VARCHAR PRIMARY KEY, bytes BIGINT);
"""
WRITE_LOCK = threading.Lock()  # one writer of the audit tables per process at a time
SEEN_OFFSETS: dict[Path, dict[str, int]] = {}  # last offsets read from the catalog: pending while it is busy


@dataclass
class AuditResult:
    entry_id: str
    applied: bool  # True: in the catalog now; False: in the log, applied at the next flush
    error: str = ""  # why the catalog was not updated when it was not merely busy (the decision is saved)


@dataclass
class FlushReport:
    applied: int = 0  # entries moved into the catalog by this flush
    pending: int | None = 0  # entries still only in the log (catalog busy; None: not known in this process)
    bad_lines: list[str] | None = None  # "file:line: why" for unreadable log lines
    busy: bool = False  # the catalog could not be had within the timeout


def as_store(store: Store | str | Path) -> Store:
    return store if isinstance(store, Store) else Store(store)


def record_audit(
    store: Store | str | Path,
    sample_id: str,
    decision: str,
    reason: str = "",
    reviewer: str = "",
    timeout_s: float = 5.0,
) -> AuditResult:
    """Save one decision durably (log, fsync), then try to apply it to the catalog within timeout_s."""
    store = as_store(store)
    decision = decision.strip().lower()
    if decision not in DECISIONS:
        raise InputError(f"audit decision must be one of {DECISIONS}, got {decision!r}")
    if not sample_id or not str(sample_id).strip():
        raise InputError("audit needs a sample_id")
    if not reviewer or not reviewer.strip():
        raise InputError("audit needs a reviewer name")
    entry = audit_log.new_entry(str(sample_id), decision, reason.strip(), reviewer.strip())
    audit_log.append(store.root, [entry])
    try:
        report = flush(store, timeout_s=timeout_s)
    except (
        duckdb.Error,
        OSError,
    ) as e:  # saved in the log all the same: say why the catalog lags, never a traceback
        return AuditResult(entry["entry_id"], applied=False, error=f"{type(e).__name__}: {e}")
    return AuditResult(entry["entry_id"], applied=not report.busy)


def read_journal(store: Store | str | Path) -> tuple[list[dict], list[str]]:
    """Every entry of the audit log (file order) and the 'file:line: why' of lines that could not be read."""
    entries, bad, _ = audit_log.read(as_store(store).root)
    return entries, bad


def apply_entries(con, entries: list[dict]) -> int:
    """Insert the entries not yet in the catalog (by entry id, or by audit_id for adopted rows); in a transaction."""
    import pyarrow as pa

    seen, rows = set(), []
    for e in entries:
        if e["entry_id"] not in seen:
            seen.add(e["entry_id"])
            rows.append(e)
    if not rows:
        return 0
    new = pa.table(
        {
            "entry_id": [e["entry_id"] for e in rows],
            "audit_id": [audit_log.audit_id(e) for e in rows],
            "sample_id": [e["sample_id"] for e in rows],
            "decision": [e["decision"] for e in rows],
            "reason": [e.get("reason") for e in rows],
            "reviewer": [e.get("reviewer") for e in rows],
            "ts": [e["ts"] for e in rows],
        }
    )
    con.register("audit_log_new", new)
    try:
        con.execute("""CREATE OR REPLACE TEMP TABLE audit_log_todo AS SELECT * FROM audit_log_new n
                       WHERE n.entry_id NOT IN (SELECT entry_id FROM audit_journal_applied)
                         AND n.audit_id NOT IN (SELECT audit_id FROM audits WHERE audit_id IS NOT NULL)""")
        con.execute("""INSERT INTO audits (audit_id, sample_id, decision, reason, reviewer, ts)
                       SELECT audit_id, sample_id, decision, reason, reviewer, ts::TIMESTAMP FROM audit_log_todo""")
        con.execute("INSERT INTO audit_journal_applied SELECT entry_id, now() FROM audit_log_todo")
        n = con.execute("SELECT count(*) FROM audit_log_todo").fetchone()[0]
        con.execute("DROP TABLE audit_log_todo")
        return n
    finally:
        con.unregister("audit_log_new")


def save_offsets(con, ends: dict[str, int]) -> None:
    for name, end in ends.items():
        con.execute(
            "INSERT INTO audit_log_offsets VALUES (?, ?) ON CONFLICT (file) DO UPDATE "
            "SET bytes = greatest(bytes, excluded.bytes)",
            [name, end],
        )


@contextlib.contextmanager
def transaction(con):
    con.execute("BEGIN TRANSACTION")
    try:
        yield
        con.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(duckdb.Error):  # a failed COMMIT has already ended it; keep the first error
            con.execute("ROLLBACK")
        raise


def flush(store: Store | str | Path, timeout_s: float = 5.0) -> FlushReport:
    """Apply log entries not yet in the catalog, in one transaction; a busy catalog leaves them pending."""
    store = as_store(store)
    deadline = time.monotonic() + timeout_s
    if not WRITE_LOCK.acquire(timeout=max(timeout_s, 0.0)):
        return _busy(store)
    try:
        with catalog_connection(store.catalog_path, timeout_s=max(0.0, deadline - time.monotonic())) as con:
            con.execute(TABLES_DDL)
            with transaction(con):
                start = dict(con.execute("SELECT file, bytes FROM audit_log_offsets").fetchall())
                entries, bad, ends = audit_log.read(store.root, start)
                applied = apply_entries(con, entries)
                save_offsets(con, ends)
        SEEN_OFFSETS[store.root.resolve()] = ends
        return FlushReport(applied=applied, bad_lines=bad)
    except catalog.CatalogBusy:
        return _busy(store)
    finally:
        WRITE_LOCK.release()


def _busy(store: Store) -> FlushReport:
    """Pending = entries past the offsets this process last saw in the catalog; unknown (None) if it saw none."""
    seen = SEEN_OFFSETS.get(store.root.resolve())
    entries, bad, _ = audit_log.read(store.root, seen)
    return FlushReport(pending=None if seen is None else len(entries), bad_lines=bad, busy=True)


def _table_exists(con, name: str) -> bool:
    return con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [name]).fetchone()[0] > 0


def applied_ids(con, entries: list[dict]) -> set[str]:
    """The entry ids among `entries` the catalog already holds (by entry id, or by audit_id for adopted rows)."""
    if not entries:
        return set()
    done = set()
    if _table_exists(con, "audit_journal_applied"):
        done = {
            r[0]
            for r in con.execute(
                "SELECT entry_id FROM audit_journal_applied WHERE list_contains(?, entry_id)",
                [[e["entry_id"] for e in entries]],
            ).fetchall()
        }
    by_aid = {audit_log.audit_id(e): e["entry_id"] for e in entries}
    return done | {
        by_aid[r[0]]
        for r in con.execute(
            "SELECT audit_id FROM audits WHERE list_contains(?, audit_id)", [list(by_aid)]
        ).fetchall()
    }


def pending_entries(store: Store | str | Path, timeout_s: float = 2.0) -> list[dict]:
    """Log entries not yet in the catalog. While the catalog cannot be read: those after the offsets this
    process last saw (all of them in a process that has not seen the catalog yet)."""
    store = as_store(store)
    key = store.root.resolve()
    try:
        with catalog_connection(store.catalog_path, read_only=True, timeout_s=timeout_s) as con:
            start = (
                dict(con.execute("SELECT file, bytes FROM audit_log_offsets").fetchall())
                if _table_exists(con, "audit_log_offsets")
                else {}
            )
            entries, _, _ = audit_log.read(store.root, start)
            done = applied_ids(con, entries)
    except (catalog.CatalogBusy, FileNotFoundError):
        return audit_log.read(store.root, SEEN_OFFSETS.get(key))[0]
    SEEN_OFFSETS[key] = start
    return [e for e in entries if e["entry_id"] not in done]


def latest_decisions(store: Store | str | Path, sample_ids: list[str] | None = None) -> dict[str, dict]:
    """sample_id → its latest decision {decision, reason, reviewer, ts, pending}, catalog plus log."""
    store = as_store(store)
    out: dict[str, dict] = {}
    if store.catalog_path.exists():
        with catalog_connection(store.catalog_path, read_only=True) as con:
            q = "SELECT sample_id, decision, reason, reviewer, ts FROM latest_audits"
            rows = (
                con.execute(q + " WHERE list_contains(?, sample_id)", [sample_ids]).fetchall()
                if sample_ids
                else con.execute(q).fetchall()
            )
        for sid, d, r, who, ts in rows:
            out[sid] = {"decision": d, "reason": r, "reviewer": who, "ts": str(ts), "pending": False}
    for e in pending_entries(store):
        if sample_ids is not None and e["sample_id"] not in sample_ids:
            continue
        cur = out.get(e["sample_id"])
        if cur is None or e["ts"] >= cur["ts"].replace(" ", "T"):
            out[e["sample_id"]] = {k: e.get(k, "") for k in ("decision", "reason", "reviewer", "ts")} | {
                "pending": True
            }
    return out


def unknown_sample_ids(
    store: Store | str | Path, sample_ids: list[str], timeout_s: float = 10.0
) -> list[str]:
    """The ids that are not catalog samples (read-only; CatalogBusy when a writer holds the catalog longer)."""
    with catalog_connection(as_store(store).catalog_path, read_only=True, timeout_s=timeout_s) as con:
        known = {
            r[0]
            for r in con.execute(
                "SELECT id FROM samples WHERE list_contains(?, id)", [list(sample_ids)]
            ).fetchall()
        }
    return [s for s in sample_ids if s not in known]
