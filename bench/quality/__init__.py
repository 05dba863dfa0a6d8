"""Evaluation areas of bench/quality_bench.py: one module per check, each with AREA and run(quick) -> list[Row]."""

from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass
class Row:
    """One (check, evaluation set) line: the plain library and ours on the same items, in the same process."""

    check: str  # e.g. "math answer equivalence"
    set: str  # e.g. "GSM8K train rewrites (keep/break)"
    n: int
    plain_acc: (
        float | None
    )  # share of items given the right verdict by the plain library (None: no plain verdict)
    ours_acc: float
    plain_fp: int | None
    ours_fp: int
    plain_fn: int | None
    ours_fn: int
    plain_per_s: float | None  # items/s on one core
    ours_per_s: float
    floor: str  # the target, in words
    met: bool  # ours reaches the floor
    notes: list[str] = field(default_factory=list)

    @staticmethod
    def pct(x: float | None) -> str:
        return "—" if x is None else f"{100 * x:.1f}%"

    @staticmethod
    def rate(x: float | None) -> str:
        return "—" if x is None else f"{x:,.0f}"

    def speedup(self) -> str:
        return "—" if not self.plain_per_s else f"{self.ours_per_s / self.plain_per_s:.2f}"


def timed(fn, items) -> tuple[list, float]:
    """(results, items per second) of fn over items, one call per item, on this core."""
    t0 = time.perf_counter()
    out = [fn(it) for it in items]
    dt = time.perf_counter() - t0
    return out, (len(items) / dt if dt > 0 else float("inf"))
