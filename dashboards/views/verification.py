"""Verification: per-query pass rates for math / code / logic samples, and every response to one query side by
side with its verdicts, reasons and sandbox outcomes (verdict details)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import altair as alt
import polars as pl
import streamlit as st

from dashboards.common import catalog_version, md, query, require_catalog, store_root
from dashboards.sample_view import PASS_ICON, load_record, render_messages, render_verdicts, split_think
from schemas.response_meta import PASS_RATE, QUERY_ID, RESPONSE_SOURCE

VERIFIED_DOMAINS = ("math", "code", "logic")


def max_samples() -> int:
    """Verified responses read per view (they are joined with their shards' metadata in memory); beyond that the
    page says so and asks for a dataset filter. DATAMILL_DASH_MAX_VERIFIED raises or lowers it."""
    return int(os.environ.get("DATAMILL_DASH_MAX_VERIFIED", "200000"))


def _where(datasets: tuple[str, ...]) -> tuple[str, list]:
    cond = "kind = 'sft' AND list_contains(?, domain)" + (
        " AND list_contains(?, dataset)" if datasets else ""
    )
    return cond, [list(VERIFIED_DOMAINS)] + ([list(datasets)] if datasets else [])


@st.cache_data(show_spinner=False, max_entries=8)
def dataset_counts(root: str, version: float) -> pl.DataFrame:
    """Verified responses per dataset (catalog only): the dataset filter's options and the total to compare with
    the read cap."""
    cond, params = _where(())
    return query(
        root, f"SELECT dataset, count(*) AS n FROM samples WHERE {cond} GROUP BY 1 ORDER BY 1", params
    )


@st.cache_data(show_spinner="Reading verified samples…", max_entries=8)
def load(root: str, version: float, datasets: tuple[str, ...], limit: int) -> pl.DataFrame:
    """Verified SFT samples from the catalog (the first `limit` by id) joined with query_id / pass_rate /
    response_source from their shards' metadata (the catalog does not carry those)."""
    cond, params = _where(datasets)
    cat = query(
        root,
        f"""SELECT id, dataset, domain, shard, "row", kind, passed, verdicts, source FROM samples
                          WHERE {cond} ORDER BY id LIMIT {int(limit)}""",
        params,
    )
    if not cat.height:
        return cat
    shards = [str(Path(root) / s) for s in cat["shard"].unique().sort()]
    meta = query(
        root,
        f"""SELECT id, json_extract_string(metadata, '$.{QUERY_ID}') AS query_id,
                              TRY_CAST(json_extract(metadata, '$.{PASS_RATE}') AS DOUBLE) AS meta_pass_rate,
                              json_extract_string(metadata, '$.{RESPONSE_SOURCE}') AS response_source
                           FROM read_parquet(?, union_by_name = true)""",
        [shards],
    )
    return cat.join(meta, on="id", how="left")


def failure_reasons(verdicts_json: str | None) -> list[str]:
    try:
        return [
            f"{v.get('verifier')}:{v.get('reason')}"
            for v in json.loads(verdicts_json or "[]")
            if not v.get("passed", True)
        ]
    except (json.JSONDecodeError, AttributeError):
        return ["unreadable_verdicts"]


def compute(df: pl.DataFrame) -> pl.DataFrame:
    """One row per query: responses, passed, measured pass rate, the generator's recorded pass rate and the
    most common failure reason (queries without a query_id fall back to the sample's source)."""
    if not df.height:
        return pl.DataFrame(
            schema={
                "query_id": pl.String,
                "domain": pl.String,
                "responses": pl.UInt32,
                "passed": pl.UInt32,
                "pass_rate": pl.Float64,
                "meta_pass_rate": pl.Float64,
                "top_failure": pl.String,
            }
        )
    df = df.with_columns(
        pl.coalesce(pl.col("query_id"), pl.col("source"), pl.col("id")).alias("query_id"),
        pl.col("verdicts").map_elements(failure_reasons, return_dtype=pl.List(pl.String)).alias("failures"),
    )
    return (
        df.group_by("query_id", "domain")
        .agg(
            pl.len().alias("responses"),
            pl.col("passed").sum().alias("passed"),
            pl.col("meta_pass_rate").first(),
            pl.col("failures")
            .list.explode(keep_nulls=False, empty_as_null=False)
            .mode()
            .first()
            .alias("top_failure"),
        )
        .with_columns((pl.col("passed") / pl.col("responses")).round(3).alias("pass_rate"))
        .select("query_id", "domain", "responses", "passed", "pass_rate", "meta_pass_rate", "top_failure")
        .sort("pass_rate", "query_id")
    )


def render() -> None:
    st.title("Verification")
    root = store_root()
    if not require_catalog(root):
        return
    version = catalog_version(root)
    per_dataset = dataset_counts(str(root), version)
    if not per_dataset.height:
        st.info("No math / code / logic samples in the catalog yet.")
        return
    datasets = tuple(sorted(st.multiselect("dataset", per_dataset["dataset"].to_list(), key="verif_dataset")))
    chosen = per_dataset.filter(pl.col("dataset").is_in(datasets)) if datasets else per_dataset
    total, cap = int(chosen["n"].sum()), max_samples()
    if total > cap:
        st.warning(
            f"{total:,} verified responses match; this page reads the first {cap:,} by id, so the counts "
            f"and pass rates below cover only those. Pick fewer datasets to see all of theirs."
        )
    df = load(str(root), version, datasets, cap)
    domains = st.multiselect("domain", sorted(df["domain"].unique()), key="verif_domain")
    if domains:
        df = df.filter(pl.col("domain").is_in(domains))
    per_query = compute(df)
    c = st.columns(3)
    c[0].metric("queries", f"{per_query.height:,}")
    c[1].metric("responses", f"{df.height:,}")
    c[2].metric("responses passed", f"{df['passed'].mean():.1%}")
    st.altair_chart(
        alt.Chart(per_query)
        .mark_bar()
        .encode(
            x=alt.X("pass_rate:Q", bin=alt.Bin(step=0.1, extent=[0, 1]), title="per-query pass rate"),
            y=alt.Y("count():Q", title="queries"),
            color="domain:N",
        ),
        width="stretch",
    )
    st.dataframe(per_query, hide_index=True, width="stretch")

    qid = st.selectbox("query", per_query["query_id"].to_list(), key="verif_query")
    responses = df.filter(pl.coalesce(pl.col("query_id"), pl.col("source"), pl.col("id")) == qid).sort("id")
    recs = [load_record(str(root), r["shard"], r["row"], r["kind"]) for r in responses.iter_rows(named=True)]
    if not recs:
        return
    st.subheader("Prompt")
    render_messages([m for m in recs[0].messages if m.role != "assistant"])
    st.subheader(f"{len(recs)} response(s)")
    per_row = 3
    for i in range(0, len(recs), per_row):
        for col, rec, r in zip(
            st.columns(per_row), recs[i : i + per_row], list(responses.iter_rows(named=True))[i : i + per_row]
        ):
            with col:
                st.markdown(f"{PASS_ICON[rec.passed]} **{md(rec.id)}**")
                st.caption(
                    f"source: {md(r['response_source'] or '?')} · model: {md(rec.lineage.model or '?')}"
                )
                for m in rec.messages:
                    if m.role == "assistant":
                        reasoning, answer = split_think(m.content, m.reasoning_content)
                        if reasoning:
                            with st.expander("<think>"):
                                st.text(reasoning)
                        st.text(answer)
                render_verdicts(rec.verdicts)


if __name__ == "__main__":
    render()
