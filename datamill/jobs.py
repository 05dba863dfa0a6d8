"""Resumable sharded jobs: deterministic chunks of input → one shard each; done shards are skipped on re-run.

Every generator and exporter runs through `run_sharded`, so a killed job re-run with the same config
completes without duplicates (a chunk's shard is either fully registered or absent).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from datamill.store import Store
from schemas.records import Record


@dataclass
class JobReport:
    dataset: str
    run_id: str
    parts_total: int = 0
    parts_skipped: int = 0
    rows_written: int = 0
    dropped: dict[str, int] = field(default_factory=dict)  # reason → count
    errors: list[str] = field(default_factory=list)

    def add_drop(self, reason: str, n: int = 1) -> None:
        self.dropped[reason] = self.dropped.get(reason, 0) + n

    def summary(self) -> str:
        drops = ", ".join(f"{k}={v}" for k, v in sorted(self.dropped.items())) or "none"
        return (
            f"{self.dataset}/{self.run_id}: {self.rows_written} rows in {self.parts_total} shards "
            f"({self.parts_skipped} already done), dropped: {drops}, errors: {len(self.errors)}"
        )


def chunked(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def run_sharded(
    store: Store,
    dataset: str,
    run_id: str,
    kind: str,
    config: dict,
    items: Sequence[Any],
    process: Callable[[Sequence[Any], JobReport], Iterable[Record]],
    chunk_size: int = 256,
    parents: list[str] | None = None,
    progress: bool = True,
    engine=None,
) -> JobReport:
    """Process `items` in fixed chunks; chunk k becomes part k. `process` must be deterministic.

    `engine`: the job's model engine, if any. Samples it dropped while a chunk was processed (e.g. a prompt longer
    than the model's context: `context_too_long`) are counted as this report's drops with their reason."""
    from tqdm import tqdm

    report = JobReport(dataset, run_id)
    store.begin_run(dataset, run_id, kind, config, parents)
    done = store.done_parts(dataset, run_id)
    chunks = chunked(items, chunk_size)
    report.parts_total = len(chunks)
    bar = tqdm(
        total=len(items), desc=f"{dataset}", unit="item", disable=not progress or not sys.stderr.isatty()
    )
    for part, chunk in enumerate(chunks):
        if part in done:
            report.parts_skipped += 1
            bar.update(len(chunk))
            continue
        before = dict(getattr(engine, "drops", None) or {})
        records = list(process(chunk, report))
        for reason, n in (getattr(engine, "drops", None) or {}).items():
            if n > before.get(reason, 0):
                report.add_drop(reason, n - before.get(reason, 0))
        store.write_shard(dataset, run_id, part, records, kind=kind)
        report.rows_written += len(records)
        bar.update(len(chunk))
    bar.close()
    store.finish_run(dataset, run_id)
    return report
