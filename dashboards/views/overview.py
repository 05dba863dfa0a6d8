"""Overview: counts and tokens by dataset × domain × language × mode, score and length distributions,
curation drop reasons and audit totals — aggregated inside DuckDB, so it stays fast at millions of rows."""

from __future__ import annotations

import altair as alt
import polars as pl
import streamlit as st

from dashboards.common import catalog_version, md, queries, require_catalog, store_root

VERDICT_JSON = '[{"verifier": "VARCHAR", "passed": "BOOLEAN", "reason": "VARCHAR"}]'
GROUP_SQL = """SELECT dataset, kind, domain, language, coalesce(mode, '-') AS mode, count(*) AS samples,
    coalesce(sum(tokens), 0)::BIGINT AS tokens, count(*) FILTER (WHERE passed) AS passed FROM samples GROUP BY ALL"""
# log2 buckets: lengths span 10 … 100k+ tokens, so equal-width bins would put everything in the first one
LENGTH_SQL = """SELECT kind, floor(log2(greatest(tokens, 1)))::INTEGER AS log2_tokens, count(*) AS samples
    FROM samples GROUP BY ALL"""
EDU_SQL = """SELECT kind, round(edu_score * 4) / 4 AS edu_score, count(*) AS samples FROM samples
    WHERE edu_score IS NOT NULL GROUP BY ALL"""
DROP_SQL = f"""SELECT v.verifier, v.reason, count(*) AS samples FROM (
    SELECT unnest(from_json(verdicts, '{VERDICT_JSON}')) AS v FROM samples WHERE NOT passed AND verdicts IS NOT NULL)
    WHERE NOT coalesce(v.passed, false) GROUP BY ALL ORDER BY samples DESC LIMIT 40"""
AUDIT_SQL = "SELECT decision, count(*) AS samples FROM latest_audits GROUP BY ALL"


@st.cache_data(show_spinner="Reading the catalog…", max_entries=16)
def load(root: str, version: float) -> dict[str, pl.DataFrame]:
    """Every aggregate the page shows (version = catalog mtime, only part of the cache key)."""
    return queries(
        root,
        {"groups": GROUP_SQL, "lengths": LENGTH_SQL, "edu": EDU_SQL, "drops": DROP_SQL, "audits": AUDIT_SQL},
    )


def compute(data: dict[str, pl.DataFrame], by: list[str]) -> dict:
    """Totals, the table grouped by `by`, and chart-ready frames (pure)."""
    g = data["groups"]
    if not by:
        by = ["dataset"]
    table = (
        g.group_by(by)
        .agg(pl.col("samples").sum(), pl.col("tokens").sum(), pl.col("passed").sum())
        .with_columns((pl.col("passed") / pl.col("samples")).round(3).alias("pass_rate"))
        .sort("tokens", descending=True)
    )
    lengths = (
        data["lengths"]
        .with_columns(pl.format("2^{}", pl.col("log2_tokens")).alias("tokens_bucket"))
        .sort("log2_tokens")
    )
    return {
        "totals": {
            "samples": int(g["samples"].sum() or 0),
            "tokens": int(g["tokens"].sum() or 0),
            "datasets": g["dataset"].n_unique(),
            "passed": int(g["passed"].sum() or 0),
        },
        "table": table,
        "by_domain": g.group_by(["domain", "language"]).agg(pl.col("tokens").sum(), pl.col("samples").sum()),
        "lengths": lengths,
        "edu": data["edu"].sort("edu_score"),
        "drops": data["drops"],
        "audits": data["audits"].sort("decision"),
    }


def render() -> None:
    st.title("Overview")
    root = store_root()
    if not require_catalog(root):
        return
    data = load(str(root), catalog_version(root))
    by = st.multiselect(
        "group by",
        ["dataset", "kind", "domain", "language", "mode"],
        default=["dataset", "domain", "language", "mode"],
        key="overview_by",
    )
    c = compute(data, by)
    t = c["totals"]
    cols = st.columns(4)
    cols[0].metric("samples", f"{t['samples']:,}")
    cols[1].metric("tokens", f"{t['tokens']:,}")
    cols[2].metric("datasets", t["datasets"])
    cols[3].metric("verdicts passed", f"{t['passed'] / max(t['samples'], 1):.1%}")
    if t["samples"] == 0:
        st.info(f"The catalog at {md(root)} has no samples yet.")
        return

    st.subheader("Tokens by domain and language")
    st.altair_chart(
        alt.Chart(c["by_domain"])
        .mark_bar()
        .encode(
            x=alt.X("tokens:Q", title="tokens"),
            y=alt.Y("domain:N", sort="-x"),
            color="language:N",
            tooltip=["domain", "language", "tokens", "samples"],
        ),
        width="stretch",
    )
    st.dataframe(c["table"], hide_index=True, width="stretch")

    left, right = st.columns(2)
    with left:
        st.subheader("Length distribution")
        st.altair_chart(
            alt.Chart(c["lengths"])
            .mark_bar()
            .encode(
                x=alt.X("tokens_bucket:N", sort=None, title="tokens (log2 bucket)"),
                y="samples:Q",
                color="kind:N",
                tooltip=["kind", "tokens_bucket", "samples"],
            ),
            width="stretch",
        )
    with right:
        st.subheader("Edu score distribution")
        if c["edu"].height:
            st.altair_chart(
                alt.Chart(c["edu"])
                .mark_bar()
                .encode(
                    x=alt.X("edu_score:O", title="edu score"),
                    y="samples:Q",
                    color="kind:N",
                    tooltip=["kind", "edu_score", "samples"],
                ),
                width="stretch",
            )
        else:
            st.caption("no edu scores in the catalog")

    left, right = st.columns(2)
    with left:
        st.subheader("Drop and failure reasons")
        if c["drops"].height:
            st.altair_chart(
                alt.Chart(c["drops"])
                .mark_bar()
                .encode(
                    x="samples:Q",
                    y=alt.Y("reason:N", sort="-x"),
                    color="verifier:N",
                    tooltip=["verifier", "reason", "samples"],
                ),
                width="stretch",
            )
        else:
            st.caption("no failed verdicts or curation drops")
    with right:
        st.subheader("Audit decisions")
        if c["audits"].height:
            st.altair_chart(
                alt.Chart(c["audits"]).mark_bar().encode(x="decision:N", y="samples:Q", color="decision:N"),
                width="stretch",
            )
        else:
            st.caption("no audits yet (Audit page)")


if __name__ == "__main__":
    render()
