"""What every page shares: which store to show, read-only catalog queries, and escaped text display.

All sample text (web pages, model outputs) is untrusted: it is shown through `show_text` (st.html of
`escaped_html`: html.escape, then only our own <mark>/<div> tags around it) or st.text/st.code/st.json — never
raw HTML, and never through the markdown renderer: st.markdown(unsafe_allow_html=True) of the same <div> stops
being HTML at the first blank line, after which CommonMark renders `![x](http://…)` as a fetched image,
`# …` as a heading, and eats `*…*` and `$…$` (issue 20 item 5). st.html runs no markdown at all.
"""

from __future__ import annotations

import html
import os
import re
import sys
from pathlib import Path

import polars as pl
import streamlit as st

from datamill.audits import catalog_connection

STORE_ENV = "DATAMILL_STORE"


def store_root() -> Path:
    """The store to show: `streamlit run app.py -- --store PATH`, else $DATAMILL_STORE, else ./store."""
    argv = sys.argv
    if "--store" in argv[:-1]:
        return Path(argv[argv.index("--store") + 1])
    return Path(os.environ.get(STORE_ENV, "store"))


def catalog_version(root: Path) -> float:
    """Changes whenever the catalog file changes: part of every cached load()'s key, so new data shows up."""
    files = [root / "catalog.duckdb", root / "catalog.duckdb.wal"]
    return sum(f.stat().st_mtime_ns for f in files if f.exists()) / 1e9


def query(root: Path | str, sql: str, params: list | None = None) -> pl.DataFrame:
    """One read-only query (retried while a writer holds the catalog lock)."""
    with catalog_connection(Path(root) / "catalog.duckdb", read_only=True, timeout_s=30) as con:
        return con.sql(sql, params=params).pl() if params else con.sql(sql).pl()


def queries(root: Path | str, named: dict[str, str | tuple[str, list]]) -> dict[str, pl.DataFrame]:
    """Several read-only queries on one connection (a page's load() opens the catalog once)."""
    out = {}
    with catalog_connection(Path(root) / "catalog.duckdb", read_only=True, timeout_s=30) as con:
        for name, q in named.items():
            sql, params = (q, None) if isinstance(q, str) else q
            out[name] = con.sql(sql, params=params).pl() if params else con.sql(sql).pl()
    return out


def has_table(root: Path | str, name: str) -> bool:
    return query(root, "SELECT count(*) AS n FROM duckdb_tables() WHERE table_name = ?", [name])["n"][0] > 0


def escaped_html(text: str | None, spans: list[tuple[int, int, str]] | None = None) -> str:
    """Escape `text` and wrap each (start, end, label) character span in <mark>. Spans are offsets into the
    raw text; overlapping or out-of-range spans are clipped so every character is shown exactly once."""
    text = text or ""
    out, pos = [], 0
    for start, end, label in sorted(spans or []):
        start, end = max(start, pos), min(end, len(text))
        if start >= end:
            continue
        out.append(html.escape(text[pos:start]))
        out.append(
            f'<mark title="{html.escape(label, quote=True)}" style="background:#ffe08a">'
            f"{html.escape(text[start:end])}</mark>"
        )
        pos = end
    out.append(html.escape(text[pos:]))
    return '<div style="white-space:pre-wrap;word-break:break-word">' + "".join(out) + "</div>"


MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|<>~:$])")


def md(value: object) -> str:
    """A data value (id, reason, model name, file label) made literal inside markdown: every markdown, icon
    (:name:) and LaTeX ($) character backslash-escaped, newlines flattened — so `![x](http://…)` in an id or a
    URL parameter is shown, never fetched."""
    return MD_SPECIAL.sub(r"\\\1", " ".join(str(value).split()))


def show_text(
    text: str | None, spans: list[tuple[int, int, str]] | None = None, max_chars: int = 20000
) -> None:
    """Show untrusted text verbatim (with optional highlighted spans); very long text is cut with a note."""
    text = text or ""
    if len(text) > max_chars and not spans:
        st.caption(f"showing the first {max_chars:,} of {len(text):,} characters")
        text = text[:max_chars]
    st.html(escaped_html(text, spans))  # no markdown pass; every character of the text is escaped


def require_catalog(root: Path) -> bool:
    if not (root / "catalog.duckdb").exists():
        st.error(
            f"No catalog at {md(root)}/catalog.duckdb. Run a job (or datamill --store {md(root)} index) "
            f"first, or open another store: `datamill --store PATH dashboard`."
        )
        return False
    return True
