"""Audit: walk a filtered queue of samples and accept / reject / flag each with a reason.

Keyboard: A accept, X reject, F flag, S skip (the reason box keeps focus with Tab). Decisions go through
datamill.audits.record_audit: journaled to disk first, so they survive restarts, a second reviewer, and a
batch job holding the catalog's write lock (they reach the catalog at the next flush). Mixtures read
`latest_audits` and leave out rejected samples.
"""

from __future__ import annotations

import dataclasses

import polars as pl
import streamlit as st

from dashboards.browse_query import BrowseFilter
from dashboards.common import catalog_version, has_table, md, query, require_catalog, store_root
from dashboards.sample_view import show_sample
from dashboards.views import browse
from datamill import audits

QUEUE_SIZE = 20
KEYS = {"accept": "A", "reject": "X", "flag": "F"}


@st.cache_data(show_spinner=False, max_entries=8)
def load_recent(root: str, version: float, limit: int = 20) -> pl.DataFrame:
    if not has_table(root, "audits"):
        return pl.DataFrame()
    return query(
        root,
        "SELECT ts, reviewer, decision, reason, sample_id FROM audits ORDER BY ts DESC, audit_id DESC "
        f"LIMIT {int(limit)}",
    )


def load(root: str, f: BrowseFilter) -> tuple[pl.DataFrame, int, list[dict]]:
    """The head of the queue (decisions still in the journal are excluded), its length, pending entries."""
    pending = audits.pending_entries(root)
    fields = dataclasses.asdict(f) | {"exclude_ids": sorted({e["sample_id"] for e in pending})}
    rows, total = browse.load(root, catalog_version(store_root()), fields, 0, QUEUE_SIZE)
    return rows, total, pending


def compute(rows: pl.DataFrame, skipped: list[str], recent: pl.DataFrame, pending: list[dict]) -> dict:
    """Current sample (first not skipped), and the recent-decisions table with journal-only ones marked."""
    queue = [r for r in rows.iter_rows(named=True) if r["id"] not in skipped]
    pend = pl.DataFrame(
        [
            {
                "ts": e["ts"],
                "reviewer": e.get("reviewer", ""),
                "decision": e["decision"],
                "reason": e.get("reason", ""),
                "sample_id": e["sample_id"],
                "state": "journal (pending)",
            }
            for e in pending
        ],
        schema={
            "ts": pl.String,
            "reviewer": pl.String,
            "decision": pl.String,
            "reason": pl.String,
            "sample_id": pl.String,
            "state": pl.String,
        },
    )
    done = (
        recent.with_columns(pl.col("ts").cast(pl.String), pl.lit("catalog").alias("state"))
        if recent.height
        else pend.clear()
    )
    return {
        "current": queue[0] if queue else None,
        "queued": len(queue),
        "recent": pl.concat([pend, done]).sort("ts", descending=True),
    }


def _decide(root: str, sample_id: str, decision: str) -> None:
    reviewer = st.session_state.get("audit_reviewer", "")
    try:
        res = audits.record_audit(
            root, sample_id, decision, st.session_state.get("audit_reason", ""), reviewer, timeout_s=1.5
        )  # a busy catalog: journal it, keep the reviewer moving
    except ValueError as e:
        st.session_state["audit_error"] = str(e)
        return
    except OSError as e:  # the log itself could not be written (disk full, read-only store): not saved
        st.session_state["audit_error"] = f"decision NOT saved: {e}"
        return
    st.session_state["audit_error"] = ""
    st.session_state["audit_reason"] = ""
    note = (
        ""
        if res.applied
        else f" (saved in the journal; the catalog was not updated: {res.error})"
        if res.error
        else " (catalog busy: saved in the journal, applied later)"
    )
    st.session_state["audit_last"] = f"{decision} · {sample_id}{note}"


def _skip(sample_id: str) -> None:
    st.session_state.setdefault("audit_skipped", []).append(sample_id)


def render() -> None:
    st.title("Audit")
    root = store_root()
    if not require_catalog(root):
        return
    st.text_input("reviewer", key="audit_reviewer", placeholder="your name (required)")
    f = browse.filter_widgets(
        browse.load_facets(str(root), catalog_version(root)), key="aq", audit_default="unaudited"
    )
    rows, total, pending = load(str(root), f)
    c = compute(
        rows,
        st.session_state.get("audit_skipped", []),
        load_recent(str(root), catalog_version(root)),
        pending,
    )
    if st.session_state.get("audit_error"):
        st.error(st.session_state["audit_error"])
    if st.session_state.get("audit_last"):
        st.success(f"saved: {md(st.session_state['audit_last'])}")
    st.caption(
        f"{total:,} samples in the queue"
        + (f" · {len(pending)} decision(s) waiting in the journal" if pending else "")
    )
    cur = c["current"]
    if cur is None:
        st.info("The queue is empty for these filters.")
    else:
        st.subheader(f"{md(cur['id'])}  ·  {md(cur['domain'])}  ·  {md(cur['language'])}")
        st.text_input("reason", key="audit_reason", placeholder="why (snake_case or free text)")
        cols = st.columns(4)
        for col, (decision, key) in zip(cols, KEYS.items()):
            col.button(
                decision,
                key=f"audit_{decision}",
                shortcut=key,
                width="stretch",
                on_click=_decide,
                args=(str(root), cur["id"], decision),
                type="primary" if decision == "accept" else "secondary",
            )
        cols[3].button(
            "skip", key="audit_skip", shortcut="S", width="stretch", on_click=_skip, args=(cur["id"],)
        )
        show_sample(str(root), cur)
    st.divider()
    st.subheader("Recent decisions")
    st.dataframe(c["recent"], hide_index=True, width="stretch")


if __name__ == "__main__":
    render()
