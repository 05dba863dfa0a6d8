"""The catalog's audit tables as a cache of the audit log (datamill/audit_log.py): `replay` rebuilds them from
the log row for row (`datamill index`), `compare_with_log` says where they disagree (`datamill check`)."""

from __future__ import annotations

import uuid
from collections import Counter
from pathlib import Path

from datamill import audit_log, audits
from datamill.audit_log import LOG_DIR
from datamill.store import Store

# rows that can be a decision; others (no sample, no time, unknown decision) are left alone and listed by check
VALID_ROW = "sample_id IS NOT NULL AND ts IS NOT NULL AND decision IN ('accept', 'reject', 'flag')"


def replay(store: Store | str | Path, timeout_s: float = 120.0) -> dict:
    """Rebuild the catalog's audit tables from the log (`datamill index`). Catalog rows the log lacks (written
    before the log existed, or by hand) are first appended to the log, so nothing is dropped."""
    store = audits.as_store(store)
    with audits.WRITE_LOCK, audits.catalog_connection(store.catalog_path, timeout_s=timeout_s) as con:
        con.execute(audits.TABLES_DDL)
        entries, bad, ends = audit_log.read(store.root)
        in_log = Counter(audit_log.entry_key(e) for e in entries)
        adopted = []
        for aid, *row in con.execute(
            f"SELECT audit_id, sample_id, decision, reason, reviewer, ts FROM audits "
            f"WHERE {VALID_ROW} ORDER BY ts, audit_id"
        ).fetchall():
            key = audit_log.row_key(*row)
            if in_log[key] > 0:
                in_log[key] -= 1
                continue
            sid, decision, reason, reviewer, ts = row
            adopted.append(
                {
                    "entry_id": f"adopted-{uuid.uuid4().hex}",
                    "audit_id": aid,
                    "sample_id": sid,
                    "decision": decision,
                    "reason": reason,
                    "reviewer": reviewer,
                    "ts": ts.isoformat(timespec="microseconds"),
                }
            )
        if adopted:
            audit_log.append(store.root, adopted)
            entries, bad, ends = audit_log.read(store.root)
        with audits.transaction(con):
            # rows that cannot be a decision (no sample, time or known decision) stay as they are; check lists them
            con.execute(
                f"DELETE FROM audits WHERE {VALID_ROW}; DELETE FROM audit_journal_applied; "
                "DELETE FROM audit_log_offsets;"
            )
            n = audits.apply_entries(con, entries)
            audits.save_offsets(con, ends)
    audits.SEEN_OFFSETS[store.root.resolve()] = ends
    return {"audits": n, "adopted": len(adopted), "bad_lines": bad}


def _describe(sid, decision, reason, reviewer, ts) -> str:
    return f"{sid} {decision} by {reviewer or '?'} at {ts}" + (f" ({reason})" if reason else "")


def compare_with_log(store: Store | str | Path, listed: int = 5) -> tuple[list[str], list[str]]:
    """(problems, warnings) where the catalog's `audits` table and the audit log disagree (`datamill check`).
    Rows match by audit_id and content, or by content alone (applied before audit_ids came from the log)."""
    store = audits.as_store(store)
    entries, bad, _ = audit_log.read(store.root)
    warnings = [f"unreadable audit log line {b}" for b in bad]
    if not store.catalog_path.exists():
        return [], warnings
    with audits.catalog_connection(store.catalog_path, read_only=True) as con:
        rows = con.execute(
            "SELECT audit_id, sample_id, decision, reason, reviewer, ts FROM audits"
        ).fetchall()
        applied = audits.applied_ids(con, entries)
    unmatched = Counter((aid, *audit_log.row_key(*r)) for aid, *r in rows)
    by_id = {e["entry_id"]: e for e in entries}
    missing = []
    for e in by_id.values():
        k = (audit_log.audit_id(e), *audit_log.entry_key(e))
        if unmatched[k] > 0:
            unmatched[k] -= 1
        else:
            missing.append(e)
    extra = Counter(k[1:] for k in unmatched.elements())
    still = []
    for e in missing:
        if extra[audit_log.entry_key(e)] > 0:
            extra[audit_log.entry_key(e)] -= 1
        else:
            still.append(e)
    lost = [audit_log.entry_key(e) for e in still if e["entry_id"] in applied]
    waiting = [e for e in still if e["entry_id"] not in applied]
    extra_rows = sorted(extra.elements(), key=str)
    problems = []
    if lost:
        problems.append(
            f"{len(lost)} applied decision(s) of the audit log are missing from the catalog's audits: "
            + "; ".join(_describe(*k) for k in lost[:listed])
            + " (`datamill index` rebuilds them from the log)"
        )
    if extra_rows:
        problems.append(
            f"{len(extra_rows)} audit row(s) in the catalog are not in the audit log {LOG_DIR}/: "
            + "; ".join(_describe(*k) for k in extra_rows[:listed])
            + " (`datamill index` writes them into the log)"
        )
    if waiting:
        warnings.append(
            f"{len(waiting)} decision(s) in the audit log wait for the catalog (it was busy): "
            "`datamill audit --flush` applies them"
        )
    return problems, warnings
