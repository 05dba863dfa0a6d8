"""One sample, in full: read its row back from the Parquet shard and show it as a chat, with collapsed
<think> reasoning, pretty tool schemas / calls / results, highlighted long-context needles, verdicts and
the lineage chain (source document → generation → verdicts)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import streamlit as st

from dashboards.common import md, query, show_text
from datamill.store import RECORD_TYPES
from schemas import PreferencePair, SFTSample, WebDocument
from schemas.errors import SchemaError
from schemas.records import records_from_arrow

THINK_RE = re.compile(r"<think>(.*?)(?:</think>|$)", re.DOTALL)
ROLE_AVATAR = {
    "user": "user",
    "assistant": "assistant",
    "system": ":material/settings:",
    "tool": ":material/build:",
}
PASS_ICON = {True: ":material/check_circle:", False: ":material/cancel:"}  # icon font ships with Streamlit


@st.cache_data(show_spinner=False, max_entries=256)
def load_record(root: str, shard: str, row: int, kind: str):
    """Row `row` of <root>/<shard> as its typed record (only that row group is decoded)."""
    path = Path(root) / shard
    if not path.exists():
        raise FileNotFoundError(f"shard {path} listed in the catalog is missing (run `datamill check`)")
    con = duckdb.connect()
    try:
        table = con.sql(
            "SELECT * EXCLUDE (file_row_number) FROM read_parquet(?, file_row_number = true) "
            "WHERE file_row_number = ?",
            params=[str(path), int(row)],
        ).to_arrow_table()
    finally:
        con.close()
    if table.num_rows != 1:
        raise KeyError(f"{path}:row {row} not found")
    return records_from_arrow(table, RECORD_TYPES[kind], where=f"{path}")[0]


def split_think(content: str, reasoning: str | None = None) -> tuple[str, str]:
    """(reasoning, answer): the explicit reasoning_content, or a <think>…</think> block inside the content."""
    if reasoning:
        return reasoning, content
    m = THINK_RE.search(content or "")
    if not m:
        return "", content or ""
    return m.group(1).strip(), (content[: m.start()] + content[m.end() :]).strip()


def needle_spans(metadata: dict, message_index: int) -> list[tuple[int, int, str]]:
    """(char_start, char_end, label) of the needles placed in messages[message_index]."""
    spans = []
    for n in metadata.get("needles") or []:
        try:
            if int(n.get("message_index", -1)) == message_index:
                label = f"{n.get('kind', 'needle')} {n.get('key', '')} @ depth {n.get('depth', '?')}"
                spans.append((int(n["char_start"]), int(n["char_end"]), label))
        except (KeyError, TypeError, ValueError):
            continue  # a malformed needle entry is listed in the metadata view, not highlighted
    return spans


def _show_json_or_text(text: str) -> None:
    try:
        st.json(json.loads(text), expanded=2)
    except (json.JSONDecodeError, TypeError):
        show_text(text)


def render_messages(messages, metadata: dict | None = None) -> None:
    metadata = metadata or {}
    for i, m in enumerate(messages):
        with st.chat_message(
            m.role if m.role in ("user", "assistant") else "ai", avatar=ROLE_AVATAR.get(m.role)
        ):
            st.caption(
                m.role
                + (f" · {md(m.name)}" if m.name else "")
                + (f" · answers {md(m.tool_call_id)}" if m.tool_call_id else "")
            )
            reasoning, answer = split_think(m.content, m.reasoning_content)
            if reasoning:
                with st.expander(f"<think> reasoning ({len(reasoning):,} chars)", expanded=False):
                    show_text(reasoning)
            if m.role == "tool":
                _show_json_or_text(answer)
            else:
                spans = needle_spans(metadata, i)
                if spans:
                    st.caption(f"{len(spans)} needle(s) highlighted")
                show_text(answer, spans)
            for c in m.tool_calls:
                st.caption(f"tool call {md(c.name)}" + (f" (id {md(c.id)})" if c.id else ""))
                st.json(c.arguments, expanded=2)


def render_verdicts(verdicts) -> None:
    if not verdicts:
        st.caption("no verdicts")
        return
    for v in verdicts:
        icon = PASS_ICON[bool(v.passed)]
        with st.expander(f"{icon} {md(v.verifier)}: {md(v.reason or ('passed' if v.passed else 'failed'))}"):
            st.json(v.details or {}, expanded=2)


def render_lineage(root: str, lineage, verdicts) -> None:
    """source document → generation → verdicts, with the parent records looked up in the catalog."""
    st.markdown("**Lineage**")
    cols = st.columns(3)
    with cols[0]:
        st.caption("source")
        st.text(lineage.source or "(none)")
        if lineage.parent_ids:
            parents = query(
                root,
                "SELECT id, dataset, kind, left(preview, 120) AS preview FROM samples "
                "WHERE list_contains(?, id)",
                [list(lineage.parent_ids)],
            )
            st.caption(f"{len(lineage.parent_ids)} parent(s), {parents.height} in the catalog")
            st.dataframe(parents, hide_index=True, width="stretch")
    with cols[1]:
        st.caption("generation")
        st.json(
            {
                "model": lineage.model,
                "params": lineage.params,
                "seed": lineage.seed,
                "prompt_id": lineage.prompt_id,
            },
            expanded=1,
        )
    with cols[2]:
        st.caption("verdicts")
        render_verdicts(verdicts)


def render_record(root: str, rec) -> None:
    st.caption(
        f"id {md(rec.id)} · dataset {md(rec.dataset)} · license {md(rec.license or '?')} · "
        f"{rec.num_tokens:,} tokens"
    )
    if isinstance(rec, WebDocument):
        st.text(
            f"url: {rec.url}\nsource: {rec.source}\nlanguage: {rec.language} ({rec.language_score:.2f})"
            f"  edu_score: {rec.edu_score}"
        )
        drop = rec.metadata.get("drop")
        if drop:
            st.warning(f"dropped by {md(drop.get('filter', '?'))}: {md(drop.get('reason', '?'))}")
        show_text(rec.text)
    elif isinstance(rec, SFTSample):
        st.text(
            f"domain: {rec.domain}  language: {rec.language}  mode: {rec.mode}  "
            f"passed: {rec.passed}  scores: {rec.scores}"
        )
        if rec.tools:
            with st.expander(f"{len(rec.tools)} tool schema(s)"):
                st.json(rec.tools, expanded=3)
        render_messages(rec.messages, rec.metadata)
        render_lineage(root, rec.lineage, rec.verdicts)
    elif isinstance(rec, PreferencePair):
        st.text(
            f"query {rec.query_id}  reward chosen {rec.chosen_reward:.3f} vs rejected {rec.rejected_reward:.3f}"
        )
        render_messages(rec.prompt)
        left, right = st.columns(2)
        with left:
            st.markdown("**chosen**")
            render_messages(rec.chosen)
        with right:
            st.markdown("**rejected**")
            render_messages(rec.rejected)
        render_lineage(root, rec.lineage, [])
    with st.expander("metadata"):
        st.json(rec.metadata, expanded=1)


def show_sample(root: str, row: dict) -> None:
    """Show the sample behind one catalog row (needs shard, row, kind)."""
    try:
        rec = load_record(str(root), row["shard"], int(row["row"]), row["kind"])
    except (
        OSError,
        KeyError,
        ValueError,
        duckdb.Error,
        SchemaError,
    ) as e:  # a bad shard must not take the page down
        st.error(f"cannot read sample {md(row.get('id'))}: {md(e)}")
        return
    render_record(str(root), rec)
