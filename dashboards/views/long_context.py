"""Long context: the needle-in-a-haystack length × depth heatmap (from niah_grid.json files) and the
coverage grid of generated long-context samples (<store>/<dataset>/<run>/_coverage.json)."""

from __future__ import annotations

import json
from pathlib import Path

import altair as alt
import polars as pl
import streamlit as st

from dashboards.common import catalog_version, md, query, require_catalog, store_root

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
    return {
        "coverage": sorted(str(p) for p in r.glob("*/*/_coverage.json")),
        "niah": sorted(niah),
        "samples": query(
            root,
            """SELECT dataset, language, (2 ^ ceil(log2(greatest(tokens, 1))))::BIGINT AS
                                     length_bucket, count(*) AS samples FROM samples WHERE domain = 'long_context'
                                     GROUP BY ALL ORDER BY length_bucket""",
        ),
    }


def read_json(path: str) -> tuple[dict | None, str]:
    """(data, "") or (None, "path: why") — these files come from other tools; never crash on them."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            return None, f"{path}: expected a JSON object, got {type(data).__name__}"
        return data, ""
    except (OSError, json.JSONDecodeError) as e:
        return None, f"{path}: {e}"


def _order(declared, values) -> list[str]:
    """Axis order: the file's own list first (e.g. "1K","2K" or 0.0, 0.5), then any other value seen."""
    out = [str(v) for v in declared or []]
    return out + [v for v in dict.fromkeys(values) if v not in out]


def compute_coverage(data: dict) -> tuple[pl.DataFrame, pl.DataFrame, dict]:
    """(cells: length, depth_bucket, language, count; empty cells; axis orders). Labels stay strings
    ("1K", "0-20%") in the file's order; malformed entries are skipped."""
    schema = {"length": pl.String, "depth_bucket": pl.String, "language": pl.String, "count": pl.Int64}

    def rows(key):
        out = []
        for c in data.get(key) or []:
            try:
                out.append(
                    {
                        "length": str(c["length"]),
                        "depth_bucket": str(c["depth_bucket"]),
                        "language": str(c.get("language", "?")),
                        "count": int(c.get("count", 0)),
                    }
                )
            except (KeyError, TypeError, ValueError, AttributeError):
                continue
        return pl.DataFrame(out, schema=schema)

    cells, empty = rows("cells"), rows("empty")
    orders = {
        "length": _order(data.get("lengths"), cells["length"].to_list()),
        "depth_bucket": _order(data.get("depth_buckets"), cells["depth_bucket"].to_list()),
    }
    return cells, empty, orders


def compute_niah(data: dict) -> tuple[pl.DataFrame, dict]:
    """(cells: length, depth, language, n, score, passes; header: model, threshold, green, failing_cells, axis
    orders). A cell with no answers (n = 0, score null) does not pass, as in the eval's own `green`."""
    threshold = float(data.get("threshold", 0.0) or 0.0)
    out = []
    for c in data.get("cells") or []:
        try:
            score = None if c.get("score") is None else float(c["score"])
            out.append(
                {
                    "length": str(c["length"]),
                    "depth": str(c["depth"]),
                    "language": str(c.get("language", "?")),
                    "n": int(c.get("n") or 0),
                    "score": score,
                }
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            continue
    cells = pl.DataFrame(
        out,
        schema={
            "length": pl.String,
            "depth": pl.String,
            "language": pl.String,
            "n": pl.Int64,
            "score": pl.Float64,
        },
    )
    cells = cells.with_columns(
        ((pl.col("n") > 0) & (pl.col("score") >= threshold)).fill_null(False).alias("passes")
    )
    return cells, {
        "model": data.get("model", "?"),
        "threshold": threshold,
        "green": data.get("green"),
        "failing_cells": int((~cells["passes"]).sum()) if cells.height else 0,
        "length": _order(data.get("lengths"), cells["length"].to_list()),
        "depth": _order(data.get("depths"), cells["depth"].to_list()),
    }


def heatmap(
    df: pl.DataFrame, x: str, y: str, value: str, scheme: str, orders: dict, domain=None
) -> alt.Chart:
    scale = alt.Scale(scheme=scheme, domain=domain) if domain else alt.Scale(scheme=scheme)
    base = alt.Chart(df).encode(
        x=alt.X(f"{x}:O", sort=orders.get(x)),
        y=alt.Y(f"{y}:O", sort=list(reversed(orders.get(y) or [])) or "descending"),
    )
    return base.mark_rect().encode(
        color=alt.Color(f"{value}:Q", scale=scale), tooltip=list(df.columns)
    ) + base.mark_text(baseline="middle").encode(text=alt.Text(f"{value}:Q", format=".2~f"))


def _language_pick(cells: pl.DataFrame, key: str) -> pl.DataFrame:
    langs = sorted(cells["language"].unique()) if cells.height else []
    if len(langs) < 2:
        return cells
    lang = st.selectbox("language", ["all"] + langs, key=key)
    return cells if lang == "all" else cells.filter(pl.col("language") == lang)


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
            st.error(md(err))
        else:
            cells, head = compute_niah(grid)
            failing = head["failing_cells"]
            verdict = "all cells pass" if failing == 0 else f"{failing} cell(s) below threshold"
            st.caption(f"model {md(head['model'])} · threshold {head['threshold']} · {verdict}")
            shown = _language_pick(cells, "lc_niah_lang")
            shown = shown.group_by("length", "depth").agg(pl.col("n").sum(), pl.col("score").mean())
            st.altair_chart(
                heatmap(shown, "length", "depth", "score", "redyellowgreen", head, [0, 1]), width="stretch"
            )
    else:
        st.caption("no niah_grid.json under the store (run the NIAH eval, or give a path above)")

    st.subheader("Coverage of generated long-context samples")
    if data["coverage"]:
        path = st.selectbox("coverage file", data["coverage"], key="lc_cov")
        cov, err = read_json(path)
        if err:
            st.error(md(err))
        else:
            cells, empty, orders = compute_coverage(cov)
            agg = (
                _language_pick(cells, "lc_cov_lang")
                .group_by("length", "depth_bucket")
                .agg(pl.col("count").sum())
            )
            st.altair_chart(heatmap(agg, "length", "depth_bucket", "count", "blues", orders), width="stretch")
            if empty.height:
                st.warning(
                    f"{empty.height} empty cell(s): "
                    + ", ".join(
                        md(f"{r['length']}/{r['depth_bucket']}/{r['language']}")
                        for r in empty.head(20).iter_rows(named=True)
                    )
                )
    else:
        st.caption("no _coverage.json in the store yet")
    if data["samples"].height:
        st.subheader("Long-context samples by length")
        st.dataframe(data["samples"], hide_index=True, width="stretch")


if __name__ == "__main__":
    render()
