"""Mixtures: per-component tokens requested vs filled, and the reasoning:non-reasoning token ratio measured
from the catalog over the samples the manifest selected.

The manifest is written by the mixing stage; this page reads it defensively (JSON or YAML, several key
spellings, missing pieces shown as missing) so a format change degrades the page instead of breaking it.
"""

from __future__ import annotations

import json
from pathlib import Path

import altair as alt
import duckdb
import polars as pl
import streamlit as st
import yaml

from dashboards.common import catalog_version, md, query, require_catalog, store_root
from datamill.audits import catalog_connection

# datamill.mixing writes asked_tokens / selected_tokens; other spellings are accepted for older manifests
REQUESTED_KEYS = ("asked_tokens", "requested_tokens", "token_budget", "requested", "budget", "target_tokens")
FILLED_KEYS = ("selected_tokens", "filled_tokens", "filled", "tokens", "actual_tokens")
IDS_KEYS = ("sample_ids", "ids", "samples")
IDS_FILE_KEYS = ("samples_path", "ids_path", "selection_path", "samples_file")


@st.cache_data(show_spinner=False, max_entries=8)
def load(root: str, version: float) -> pl.DataFrame:
    return query(
        root,
        "SELECT name, spec_hash, manifest_path, samples, tokens, created_at FROM mixtures "
        "ORDER BY created_at DESC",
    )


def read_manifest(path: str, root: str) -> tuple[dict | None, str]:
    p = Path(path)
    if not p.is_absolute() and not p.exists():
        p = Path(root) / p
    try:
        text = p.read_text(encoding="utf-8")
        data = json.loads(text) if p.suffix == ".json" else yaml.safe_load(text)
    except (OSError, json.JSONDecodeError, yaml.YAMLError) as e:
        return None, f"{p}: cannot read manifest: {e}"
    if not isinstance(data, dict):
        return None, f"{p}: manifest is not a mapping"
    return data, ""


def _first(d: dict, keys) -> object:
    return next((d[k] for k in keys if k in d and d[k] is not None), None)


def manifest_ids(manifest: dict, root: str) -> dict[str, list[str]]:
    """component → selected sample ids (repeats kept: an upsampled sample counts each time), from the
    manifest's top-level `samples` entries, inline per-component lists, or a Parquet/JSONL file it points to."""
    out: dict[str, list[str]] = {}
    for e in manifest.get("samples") or []:
        if isinstance(e, dict) and isinstance(e.get("id"), str):
            out.setdefault(str(e.get("component", "?")), []).append(e["id"])
    for i, c in enumerate(manifest.get("components") or []):
        if not isinstance(c, dict):
            continue
        name = str(c.get("name", f"component_{i}"))
        ids = _first(c, IDS_KEYS)
        if isinstance(ids, list):
            out[name] = [str(x) for x in ids if isinstance(x, (str, int))]
            continue
        path = _first(c, IDS_FILE_KEYS)
        if isinstance(path, str):
            p = Path(path) if Path(path).is_absolute() else Path(root) / path
            try:
                out[name] = query(
                    root,
                    "SELECT id::VARCHAR AS id FROM read_parquet(?)"
                    if p.suffix == ".parquet"
                    else "SELECT id::VARCHAR AS id FROM read_json_auto(?)",
                    [str(p)],
                )["id"].to_list()
            except (
                duckdb.Error,
                OSError,
            ):  # unreadable side file: the component shows without a measured ratio
                out[name] = []
    return out


def load_modes(root: str, ids: dict[str, list[str]]) -> pl.DataFrame:
    """Tokens per component × mode, measured from the catalog."""
    rows = [{"component": c, "id": i} for c, lst in ids.items() for i in lst]
    if not rows:
        return pl.DataFrame(schema={"component": pl.String, "mode": pl.String, "tokens": pl.Int64})
    sel = pl.DataFrame(rows)
    with catalog_connection(Path(root) / "catalog.duckdb", read_only=True, timeout_s=30) as con:
        con.register("selected_ids", sel.select("id").unique().to_arrow())
        cat = con.sql(
            "SELECT s.id, coalesce(s.mode, '-') AS mode, s.tokens FROM samples s JOIN selected_ids USING (id)"
        ).pl()
    return sel.join(cat, on="id").group_by("component", "mode").agg(pl.col("tokens").sum())


def compute(manifest: dict, modes: pl.DataFrame) -> dict:
    """Per-component requested vs filled, and the reasoning:non-reasoning ratio (pure)."""
    comps = []
    for i, c in enumerate(manifest.get("components") or []):
        if not isinstance(c, dict):
            continue
        name = str(c.get("name", f"component_{i}"))
        req, fill = _first(c, REQUESTED_KEYS), _first(c, FILLED_KEYS)
        req = float(req) if isinstance(req, (int, float)) else None
        fill = float(fill) if isinstance(fill, (int, float)) else None
        avail = c.get("available_tokens")
        comps.append(
            {
                "component": name,
                "requested": req,
                "filled": fill,
                "fill_rate": round(fill / req, 3) if req and fill is not None else None,
                "available": float(avail) if isinstance(avail, (int, float)) else None,
                "status": str(c["status"]) if "status" in c else None,
            }
        )
    table = pl.DataFrame(
        comps,
        schema={
            "component": pl.String,
            "requested": pl.Float64,
            "filled": pl.Float64,
            "fill_rate": pl.Float64,
            "available": pl.Float64,
            "status": pl.String,
        },
    )
    by_mode = (
        {m: int(t) for m, t in modes.group_by("mode").agg(pl.col("tokens").sum()).iter_rows()}
        if modes.height
        else {}
    )
    r, n = by_mode.get("reasoning", 0), by_mode.get("non_reasoning", 0)
    totals = manifest.get("totals") if isinstance(manifest.get("totals"), dict) else {}
    spec = manifest.get("spec") if isinstance(manifest.get("spec"), dict) else {}
    return {
        "table": table,
        "by_mode": by_mode,
        "ratio": (r / n) if n else None,
        "reported_ratio": totals.get("reasoning_ratio"),
        "target_ratio": (
            _first(totals, ("reasoning_ratio_target",))
            or _first(manifest, ("reasoning_ratio",))
            or _first(spec, ("reasoning_ratio",))
        ),
        "warnings": [str(w) for w in manifest.get("warnings") or []],
    }


def render() -> None:
    st.title("Mixtures")
    root = store_root()
    if not require_catalog(root):
        return
    mixes = load(str(root), catalog_version(root))
    if not mixes.height:
        st.info("No mixtures recorded yet (`datamill mix …`).")
        return
    st.dataframe(mixes, hide_index=True, width="stretch")
    i = st.selectbox(
        "mixture",
        range(mixes.height),
        key="mix_pick",
        format_func=lambda k: f"{mixes['name'][k]} ({mixes['spec_hash'][k][:8]})",
    )
    row = mixes.row(i, named=True)
    manifest, err = read_manifest(row["manifest_path"] or "", str(root))
    if err:
        st.error(md(err))
        return
    c = compute(manifest, load_modes(str(root), manifest_ids(manifest, str(root))))
    cols = st.columns(4)
    cols[0].metric("components", c["table"].height)
    ratio = "n/a (no selected sample ids)" if c["ratio"] is None else f"{c['ratio']:.2f} : 1"
    cols[1].metric("reasoning : non-reasoning (catalog)", ratio)
    cols[2].metric(
        "manifest says", "n/a" if c["reported_ratio"] is None else f"{c['reported_ratio']:.2f} : 1"
    )
    cols[3].metric("target ratio", f"{c['target_ratio']} : 1" if c["target_ratio"] else "unset")
    for w in c["warnings"]:
        st.warning(md(w))
    if c["table"].height:
        long = c["table"].unpivot(
            index="component", on=["requested", "filled"], variable_name="what", value_name="tokens"
        )
        st.altair_chart(
            alt.Chart(long)
            .mark_bar()
            .encode(
                x="tokens:Q",
                y="component:N",
                color="what:N",
                yOffset="what:N",
                tooltip=["component", "what", "tokens"],
            ),
            width="stretch",
        )
        st.dataframe(c["table"], hide_index=True, width="stretch")
    if c["by_mode"]:
        st.caption(
            "tokens by mode (catalog): " + ", ".join(f"{m} {t:,}" for m, t in sorted(c["by_mode"].items()))
        )
    with st.expander("manifest header"):  # the per-sample list can hold millions of entries
        n = len(manifest.get("samples") or []) if isinstance(manifest.get("samples"), list) else 0
        st.caption(f"{n:,} sample entries not shown")
        st.json({k: v for k, v in manifest.items() if k != "samples"}, expanded=1)


if __name__ == "__main__":
    render()
