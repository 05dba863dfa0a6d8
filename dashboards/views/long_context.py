"""Long context: the needle-in-a-haystack length × depth heatmap (from niah_grid.json files) and the
coverage grid of generated long-context samples (<store>/<dataset>/<run>/_coverage.json)."""

from __future__ import annotations

import json
from pathlib import Path

import altair as alt
import polars as pl
import streamlit as st

from dashboards.common import catalog_version, query, require_catalog, store_root

MAX_NIAH_FILES = 200


@st.cache_data(show_spinner=False, max_entries=8)
def load(root: str, version: float) -> dict:
    """Paths of coverage and NIAH grid files under the store, and long-context sample counts by length."""
    r = Path(root)
    niah = []
    for p in r.rglob("niah_grid.json"):
        niah.append(str(p))
        if len(niah) >= MAX_NIAH_FILES:
            break
    return {"coverage": sorted(str(p) for p in r.glob("*/*/_coverage.json")), "niah": sorted(niah),
            "samples": query(root, """SELECT dataset, language, (2 ^ ceil(log2(greatest(tokens, 1))))::BIGINT AS
                                     length_bucket, count(*) AS samples FROM samples WHERE domain = 'long_context'
                                     GROUP BY ALL ORDER BY length_bucket""")}


def read_json(path: str) -> tuple[dict | None, str]:
    """(data, "") or (None, "path: why") — these files come from other tools; never crash on them."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            return None, f"{path}: expected a JSON object, got {type(data).__name__}"
        return data, ""
    except (OSError, json.JSONDecodeError) as e:
        return None, f"{path}: {e}"


def compute_coverage(data: dict) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(cells: length, depth_bucket, language, count; empty cells) with malformed entries skipped."""
    schema = {"length": pl.Int64, "depth_bucket": pl.Int64, "language": pl.String, "count": pl.Int64}
    def rows(key):
        out = []
        for c in data.get(key) or []:
            try:
                out.append({"length": int(c["length"]), "depth_bucket": int(c["depth_bucket"]),
                            "language": str(c.get("language", "?")), "count": int(c.get("count", 0))})
            except (KeyError, TypeError, ValueError):
                continue
        return pl.DataFrame(out, schema=schema)
    return rows("cells"), rows("empty")


def compute_niah(data: dict) -> tuple[pl.DataFrame, dict]:
    """(cells: length, depth, language, n, score, passes; header: model, threshold, green)."""
    threshold = float(data.get("threshold", 0.0) or 0.0)
    out = []
    for c in data.get("cells") or []:
        try:
            out.append({"length": int(c["length"]), "depth": float(c["depth"]), "language": str(c.get("language", "?")),
                        "n": int(c.get("n", 0)), "score": float(c["score"])})
        except (KeyError, TypeError, ValueError):
            continue
    cells = pl.DataFrame(out, schema={"length": pl.Int64, "depth": pl.Float64, "language": pl.String,
                                      "n": pl.Int64, "score": pl.Float64})
    cells = cells.with_columns((pl.col("score") >= threshold).alias("passes"))
    return cells, {"model": data.get("model", "?"), "threshold": threshold, "green": data.get("green"),
                   "failing_cells": int((~cells["passes"]).sum()) if cells.height else 0}


def heatmap(df: pl.DataFrame, x: str, y: str, value: str, scheme: str, domain=None) -> alt.Chart:
    scale = alt.Scale(scheme=scheme, domain=domain) if domain else alt.Scale(scheme=scheme)
    base = alt.Chart(df).encode(x=alt.X(f"{x}:O"), y=alt.Y(f"{y}:O", sort="descending"))
    return (base.mark_rect().encode(color=alt.Color(f"{value}:Q", scale=scale), tooltip=list(df.columns)) +
            base.mark_text(baseline="middle").encode(text=alt.Text(f"{value}:Q", format=".2~f")))


def render() -> None:
    st.title("Long context")
    root = store_root()
    if not require_catalog(root):
        return
    data = load(str(root), catalog_version(root))

    st.subheader("Needle in a haystack")
    extra = st.text_input("another niah_grid.json path", key="lc_niah_path")
    niah_files = data["niah"] + ([extra] if extra else [])
    if niah_files:
        path = st.selectbox("NIAH grid", niah_files, key="lc_niah")
        grid, err = read_json(path)
        if err:
            st.error(err)
        else:
            cells, head = compute_niah(grid)
            failing = head["failing_cells"]
            verdict = "all cells pass" if failing == 0 else f"{failing} cell(s) below threshold"
            st.caption(f"model {head['model']} · threshold {head['threshold']} · {verdict}")
            langs = sorted(cells["language"].unique()) if cells.height else []
            lang = st.selectbox("language", langs, key="lc_niah_lang") if len(langs) > 1 else (langs or [None])[0]
            shown = cells.filter(pl.col("language") == lang) if lang else cells
            st.altair_chart(heatmap(shown, "length", "depth", "score", "redyellowgreen", [0, 1]), width="stretch")
    else:
        st.caption("no niah_grid.json under the store (run the NIAH eval, or give a path above)")

    st.subheader("Coverage of generated long-context samples")
    if data["coverage"]:
        path = st.selectbox("coverage file", data["coverage"], key="lc_cov")
        cov, err = read_json(path)
        if err:
            st.error(err)
        else:
            cells, empty = compute_coverage(cov)
            agg = cells.group_by("length", "depth_bucket").agg(pl.col("count").sum())
            st.altair_chart(heatmap(agg, "length", "depth_bucket", "count", "blues"), width="stretch")
            if empty.height:
                st.warning(f"{empty.height} empty cell(s): " + ", ".join(
                    f"{r['length']}/{r['depth_bucket']}/{r['language']}" for r in empty.head(20).iter_rows(named=True)))
    else:
        st.caption("no _coverage.json in the store yet")
    if data["samples"].height:
        st.subheader("Long-context samples by length")
        st.dataframe(data["samples"], hide_index=True, width="stretch")


if __name__ == "__main__":
    render()
