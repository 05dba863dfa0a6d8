"""Coverage of a long-context run: samples per (length bucket × depth bucket × language); empty cells flagged."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from datamill.atomic import atomic_write_text


def compute_coverage(
    metadatas: list[tuple[str, dict]], lengths: list[str], depth_buckets: list[str], languages: list[str]
) -> dict:
    """metadatas: (language, SFTSample.metadata). A sample counts once in each depth bucket its queried needles hit."""
    counts: Counter = Counter()
    extra_lengths, extra_langs = [], []
    for lang, meta in metadatas:
        lb = meta.get("length_bucket")
        for b in meta.get("depth_buckets") or []:
            counts[(lb, b, lang)] += 1
        if lb not in lengths and lb not in extra_lengths:
            extra_lengths.append(lb)
        if lang not in languages and lang not in extra_langs:
            extra_langs.append(lang)
    lengths, languages = list(lengths) + extra_lengths, list(languages) + extra_langs
    cells = [
        {"length": ln, "depth_bucket": b, "language": lg, "count": counts.get((ln, b, lg), 0)}
        for ln in lengths
        for b in depth_buckets
        for lg in languages
    ]
    empty = [{k: c[k] for k in ("length", "depth_bucket", "language")} for c in cells if c["count"] == 0]
    return {
        "lengths": lengths,
        "depth_buckets": depth_buckets,
        "languages": languages,
        "cells": cells,
        "empty": empty,
    }


def write_coverage(cov: dict, path: str | Path) -> None:
    atomic_write_text(path, json.dumps(cov, ensure_ascii=False, indent=1))


def coverage_table(cov: dict) -> str:
    """Rows: length × language; columns: depth buckets; '·' marks an empty cell."""
    head = f"{'length':>7} {'lang':>4} | " + " ".join(f"{b:>8}" for b in cov["depth_buckets"])
    lines = [head, "-" * len(head)]
    by = {(c["length"], c["depth_bucket"], c["language"]): c["count"] for c in cov["cells"]}
    for ln in cov["lengths"]:
        for lg in cov["languages"]:
            vals = [by.get((ln, b, lg), 0) for b in cov["depth_buckets"]]
            lines.append(f"{ln:>7} {lg:>4} | " + " ".join(f"{v if v else '·':>8}" for v in vals))
    n = len(cov["empty"])
    lines.append(
        f"{n} empty cell{'s' if n != 1 else ''} of {len(cov['cells'])}" + (" (marked ·)" if n else "")
    )
    return "\n".join(lines)
