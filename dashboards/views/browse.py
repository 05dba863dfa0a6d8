"""Browse: faceted filters and free-text search over the catalog, one page at a time (LIMIT/OFFSET inside
DuckDB, so millions of rows are never loaded), and the full sample behind any row."""

from __future__ import annotations

import dataclasses

import polars as pl
import streamlit as st

from dashboards.browse_query import AUDIT_STATUSES, COLUMNS, PASSED, BrowseFilter, count_sql, page_sql
from dashboards.common import catalog_version, md, queries, query, require_catalog, store_root
from dashboards.sample_view import show_sample

PAGE_SIZES = (25, 50, 100, 200)
FACETS = ("dataset", "kind", "domain", "language", "mode")


@st.cache_data(show_spinner=False, max_entries=8)
def load_facets(root: str, version: float) -> dict[str, list]:
    """Distinct values of each facet column, and the score names present in `scores`."""
    named = {
        col: f"SELECT DISTINCT {col} AS v FROM samples WHERE {col} IS NOT NULL ORDER BY 1" for col in FACETS
    }
    named["scores"] = "SELECT DISTINCT unnest(map_keys(scores)) AS v FROM samples ORDER BY 1"
    return {k: df["v"].to_list() for k, df in queries(root, named).items()}


@st.cache_data(show_spinner="Querying…", max_entries=64)
def load(root: str, version: float, fields: dict, page: int, page_size: int) -> tuple[pl.DataFrame, int]:
    """(rows of this page, number of matching samples)."""
    f = BrowseFilter(**fields)
    out = queries(root, {"rows": page_sql(f, page, page_size), "count": count_sql(f)})
    return out["rows"], int(out["count"]["n"][0])


@st.cache_data(show_spinner=False, max_entries=64)
def load_one(root: str, version: float, sample_id: str) -> dict | None:
    """The catalog row of one sample (deep link: /browse?id=SAMPLE_ID)."""
    rows = query(
        root,
        f"SELECT {COLUMNS} FROM samples s LEFT JOIN latest_audits la ON la.sample_id = s.id WHERE s.id = ?",
        [sample_id],
    )
    return rows.row(0, named=True) if rows.height else None


def compute(rows: pl.DataFrame, total: int, page: int, page_size: int) -> dict:
    """What the page shows: the table columns, page bounds and labels for the sample picker (pure)."""
    pages = max(1, -(-total // page_size))
    first = page * page_size + 1 if total else 0
    labels = [
        f"{r['id']} · {r['domain']} · {(r['preview'] or '')[:60]!r}" for r in rows.iter_rows(named=True)
    ]
    table = (
        rows.select(
            "id", "dataset", "domain", "language", "mode", "tokens", "passed", "edu_score", "audit", "preview"
        )
        if rows.height
        else rows
    )
    return {
        "pages": pages,
        "first": first,
        "last": min(total, (page + 1) * page_size),
        "labels": labels,
        "table": table,
    }


def filter_widgets(facets: dict, key: str = "browse", audit_default: str = "any") -> BrowseFilter:
    """Sidebar facet widgets (shared with the Audit page's queue) → a BrowseFilter."""
    sb = st.sidebar
    f = BrowseFilter()
    for col, attr in (
        ("dataset", "datasets"),
        ("kind", "kinds"),
        ("domain", "domains"),
        ("language", "languages"),
        ("mode", "modes"),
    ):
        setattr(f, attr, sb.multiselect(col, facets[col], key=f"{key}_{col}"))
    f.text = sb.text_input("search text (preview)", key=f"{key}_text")
    f.passed = sb.radio("verdicts", PASSED, horizontal=True, key=f"{key}_passed")
    f.verdict_reason = sb.text_input("verdict verifier / reason contains", key=f"{key}_reason")
    f.audit = sb.selectbox(
        "audit status", AUDIT_STATUSES, key=f"{key}_audit", index=AUDIT_STATUSES.index(audit_default)
    )
    lo, hi = sb.columns(2)
    f.min_tokens = lo.number_input("min tokens", min_value=0, value=None, step=100, key=f"{key}_mintok")
    f.max_tokens = hi.number_input("max tokens", min_value=0, value=None, step=100, key=f"{key}_maxtok")
    f.min_edu = lo.number_input("min edu", value=None, step=0.5, key=f"{key}_minedu")
    f.max_edu = hi.number_input("max edu", value=None, step=0.5, key=f"{key}_maxedu")
    if facets["scores"]:
        f.score_name = sb.selectbox("score", [""] + facets["scores"], key=f"{key}_score")
        if f.score_name:
            f.min_score = sb.number_input(f"min {f.score_name}", value=0.0, key=f"{key}_minscore")
    return f


def render() -> None:
    st.title("Browse")
    root = store_root()
    if not require_catalog(root):
        return
    version = catalog_version(root)
    f = filter_widgets(load_facets(str(root), version))
    linked = st.query_params.get("id")
    if linked:
        row = load_one(str(root), version, linked)
        if row is None:
            st.warning(f"no sample with id {md(linked)} in the catalog")
        else:
            st.subheader(f"Sample {md(linked)}")
            show_sample(str(root), row)
            st.divider()
    c1, c2 = st.columns([1, 3])
    page_size = c1.selectbox("rows per page", PAGE_SIZES, index=1, key="browse_page_size")
    fields = dataclasses.asdict(f)
    if st.session_state.get("browse_last_filter") != (fields, page_size):  # a new filter starts at page 1
        st.session_state["browse_last_filter"] = (fields, page_size)
        st.session_state["browse_page"] = 1
    page = c2.number_input("page", min_value=1, step=1, key="browse_page") - 1
    rows, total = load(str(root), version, fields, page, page_size)
    c = compute(rows, total, page, page_size)
    st.caption(
        f"{total:,} matching samples · showing {c['first']:,}–{c['last']:,} · page {page + 1} of {c['pages']:,}"
    )
    if not rows.height:
        st.info("No samples match these filters.")
        return
    st.dataframe(c["table"], hide_index=True, width="stretch")
    pick = st.selectbox(
        "open sample", range(rows.height), format_func=lambda i: c["labels"][i], key="browse_pick"
    )
    st.divider()
    show_sample(str(root), rows.row(pick, named=True))


if __name__ == "__main__":
    render()
