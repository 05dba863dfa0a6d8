"""quality_bench: every check that decides what is kept, side by side with the plain library it wraps, on
evaluation sets built from real data (../shared/data train splits, data-shipping packages, embedded samples) plus
hand-checked hard cases. One row per (check, evaluation set): accuracy, false positives (bad item kept / clean item
flagged), false negatives, and items/s on one core for the plain library and for ours, in the same run.

    .venv/bin/python bench/quality_bench.py            # every area, full sets (../shared/data when present)
    .venv/bin/python bench/quality_bench.py --quick    # small sets (smoke; never overwrites RESULTS.md)
    .venv/bin/python bench/quality_bench.py math tools # some areas

Each area lives in `bench/quality/<area>.py` and exposes `AREA` (a title) and `run(quick: bool) -> list[Row]`.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench._report import table, write_section
from bench.quality import Row

HEADERS = [
    "check",
    "set",
    "n",
    "plain acc",
    "ours acc",
    "plain FP",
    "ours FP",
    "plain FN",
    "ours FN",
    "plain /s/core",
    "ours /s/core",
    "speed ×",
    "floor",
    "met",
]


def _fmt(row: Row) -> list:
    return [
        row.check,
        row.set,
        row.n,
        row.pct(row.plain_acc),
        row.pct(row.ours_acc),
        row.plain_fp,
        row.ours_fp,
        row.plain_fn,
        row.ours_fn,
        row.rate(row.plain_per_s),
        row.rate(row.ours_per_s),
        row.speedup(),
        row.floor,
        "yes" if row.met else "NO",
    ]


def areas() -> list[str]:
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "quality")
    return sorted(m.name for m in pkgutil.iter_modules([path]) if not m.name.startswith("_"))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("areas", nargs="*", help=f"areas to run (default all: {', '.join(areas())})")
    ap.add_argument("--quick", action="store_true", help="small sets; RESULTS.md is left as it is")
    args = ap.parse_args(argv)
    unknown = sorted(set(args.areas) - set(areas()))
    if unknown:
        ap.error(f"unknown area(s) {unknown}; known: {areas()}")
    legend = (
        "acc = share of items given the right verdict; FP = a bad item kept (a wrong answer judged equal, a perturbed "
        "call accepted, a clean text flagged as contaminated: see the area's notes); FN = a good item lost; "
        "/s/core = items per second on one core, both sides in this process; floor = the issue's target."
    )
    rows: list[Row] = []
    for name in args.areas or areas():
        mod = importlib.import_module(f"bench.quality.{name}")
        got = mod.run(args.quick)
        rows += got
        text = table(HEADERS, [_fmt(r) for r in got])
        notes = [f"- {n}" for r in got for n in r.notes]
        print(f"\n## {mod.AREA}\n{text}" + ("\n" + "\n".join(notes) if notes else ""))
        if not args.quick:
            write_section(
                f"quality_bench: {mod.AREA}",
                legend + "\n\n" + text + ("\n\n" + "\n".join(notes) if notes else ""),
            )
    return 0 if all(r.met for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
