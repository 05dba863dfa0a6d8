"""Curation: web documents dropped per filter reason (with examples), and the language and edu-score
histograms of kept vs dropped documents."""

from __future__ import annotations

import altair as alt
import polars as pl
import streamlit as st

from dashboards.common import catalog_version, md, query, require_catalog, show_text, store_root
from dashboards.sample_view import show_sample
from dashboards.views.overview import VERDICT_JSON

REASONS_SQL = f"""SELECT v.verifier AS filter, v.reason, count(*) AS documents, sum(tokens)::BIGINT AS tokens
    FROM (SELECT tokens, unnest(from_json(verdicts, '{VERDICT_JSON}')) AS v FROM samples
          WHERE kind = 'web' AND NOT passed AND verdicts IS NOT NULL)
    GROUP BY ALL ORDER BY documents DESC"""
LANG_SQL = """SELECT language, CASE WHEN passed THEN 'kept' ELSE 'dropped' END AS status, count(*) AS documents
    FROM samples WHERE kind = 'web' GROUP BY ALL"""
EDU_SQL = """SELECT round(edu_score * 4) / 4 AS edu_score, CASE WHEN passed THEN 'kept' ELSE 'dropped' END AS status,
    count(*) AS documents FROM samples WHERE kind = 'web' AND edu_score IS NOT NULL GROUP BY ALL"""


@st.cache_data(show_spinner="Reading the catalog…", max_entries=8)
def load(root: str, version: float) -> dict[str, pl.DataFrame]:
    return {
        "reasons": query(root, REASONS_SQL),
        "languages": query(root, LANG_SQL),
        "edu": query(root, EDU_SQL),
    }


@st.cache_data(show_spinner=False, max_entries=64)
def load_examples(root: str, version: float, filter_name: str, reason: str, n: int = 5) -> pl.DataFrame:
    return query(
        root,
        f"""SELECT id, dataset, kind, shard, "row", tokens, language, preview FROM samples
        WHERE kind = 'web' AND NOT passed AND verdicts IS NOT NULL AND list_contains(
          list_transform(from_json(verdicts, '{VERDICT_JSON}'), lambda v: v.verifier || '/' || v.reason), ?)
        ORDER BY id LIMIT {int(n)}""",
        [f"{filter_name}/{reason}"],
    )


def compute(data: dict[str, pl.DataFrame]) -> dict:
    """Totals, drop share per reason, top languages (pure)."""
    langs = data["languages"]
    kept = int(langs.filter(pl.col("status") == "kept")["documents"].sum() or 0)
    dropped = int(langs.filter(pl.col("status") == "dropped")["documents"].sum() or 0)
    reasons = data["reasons"]
    if reasons.height:
        reasons = reasons.with_columns(
            (pl.col("documents") / max(dropped, 1)).round(3).alias("share_of_drops")
        )
    top = (
        langs.group_by("language")
        .agg(pl.col("documents").sum())
        .sort("documents", descending=True)
        .head(30)["language"]
        .to_list()
    )
    return {
        "kept": kept,
        "dropped": dropped,
        "reasons": reasons,
        "languages": langs.filter(pl.col("language").is_in(top)),
        "edu": data["edu"].sort("edu_score"),
    }


def render() -> None:
    st.title("Curation")
    root = store_root()
    if not require_catalog(root):
        return
    version = catalog_version(root)
    c = compute(load(str(root), version))
    cols = st.columns(3)
    cols[0].metric("web documents kept", f"{c['kept']:,}")
    cols[1].metric("dropped", f"{c['dropped']:,}")
    cols[2].metric("drop rate", f"{c['dropped'] / max(c['kept'] + c['dropped'], 1):.1%}")
    if c["kept"] + c["dropped"] == 0:
        st.info("No web documents in the catalog yet (run curation).")
        return

    st.subheader("Dropped documents per filter reason")
    if c["reasons"].height:
        st.altair_chart(
            alt.Chart(c["reasons"])
            .mark_bar()
            .encode(
                x="documents:Q",
                y=alt.Y("reason:N", sort="-x"),
                color="filter:N",
                tooltip=["filter", "reason", "documents", "tokens", "share_of_drops"],
            ),
            width="stretch",
        )
        st.dataframe(c["reasons"], hide_index=True, width="stretch")
        options = [(r["filter"], r["reason"]) for r in c["reasons"].iter_rows(named=True)]
        pick = st.selectbox(
            "examples for", options, format_func=lambda o: f"{o[0]}: {o[1]}", key="cur_reason"
        )
        examples = load_examples(str(root), version, pick[0], pick[1])
        for r in examples.iter_rows(named=True):
            with st.expander(f"{md(r['id'])} · {md(r['language'])} · {r['tokens']:,} tokens"):
                show_text(r["preview"])
                if st.toggle("full document", key=f"cur_full_{r['id']}"):
                    show_sample(str(root), r)
    else:
        st.caption("no drops recorded")

    left, right = st.columns(2)
    with left:
        st.subheader("Languages")
        st.altair_chart(
            alt.Chart(c["languages"])
            .mark_bar()
            .encode(x="documents:Q", y=alt.Y("language:N", sort="-x"), color="status:N"),
            width="stretch",
        )
    with right:
        st.subheader("Edu score")
        if c["edu"].height:
            st.altair_chart(
                alt.Chart(c["edu"])
                .mark_bar()
                .encode(x=alt.X("edu_score:O", title="edu score"), y="documents:Q", color="status:N"),
                width="stretch",
            )
        else:
            st.caption("no edu scores yet")


if __name__ == "__main__":
    render()
