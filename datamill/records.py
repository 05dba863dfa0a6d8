"""Read stored records back by (shard, row) — a mixture manifest's samples, or catalog rows — each shard once, ids
checked."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import NamedTuple, Protocol

import pyarrow.parquet as pq

from datamill.errors import DatamillError
from datamill.store import RECORD_TYPES, Store
from schemas.records import Record, records_from_arrow


class ManifestOutOfDate(DatamillError, ValueError):
    """A shard no longer holds the sample the manifest names at that row (re-run `datamill mix`)."""


class StoredAt(Protocol):
    """Where a record is stored: `schemas.mixture.ManifestEntry` and `RecordRef` both say it."""

    id: str
    shard: str
    row: int
    kind: str


class RecordRef(NamedTuple):
    """A catalog row's place: its id, shard (relative to the store root), row and record kind."""

    id: str
    shard: str
    row: int
    kind: str


def iter_shard_records(
    entries: Sequence[StoredAt], store: Store, source: str | Path = "manifest"
) -> Iterator[tuple[list[int], Record]]:
    """(entry indices, record) for every distinct (shard, row), shard by shard in sorted order; the indices
    are the entries naming that row (several when a sample repeats). Memory: one shard's rows at a time.
    `source` (the manifest's path) names where the entries came from in errors."""
    by_shard: dict[str, dict[int, list[int]]] = {}
    for i, e in enumerate(entries):
        by_shard.setdefault(e.shard, {}).setdefault(e.row, []).append(i)
    for shard, by_row in sorted(by_shard.items()):
        path = store.root / shard
        if not path.is_file():
            raise ManifestOutOfDate(f"{source}: shard {shard} is missing from store {store.root}")
        rows = sorted(by_row)
        kind = entries[by_row[rows[0]][0]].kind
        records = records_from_arrow(pq.read_table(path).take(rows), RECORD_TYPES[kind], where=str(path))
        for row, rec in zip(rows, records):
            for i in by_row[row]:
                if rec.id != entries[i].id:
                    raise ManifestOutOfDate(
                        f"{source}: samples[{i}] expects id {entries[i].id} at "
                        f"{shard} row {row}, found {rec.id} (re-run `datamill mix`)"
                    )
            yield by_row[row], rec


def iter_records(
    entries: Sequence[StoredAt], store: Store, source: str | Path = "manifest"
) -> Iterator[tuple[StoredAt, Record]]:
    """(entry, record) for every entry, in order (holds them all: for small selections)."""
    loaded: dict[int, Record] = {}
    for idx, rec in iter_shard_records(entries, store, source):
        loaded.update(dict.fromkeys(idx, rec))
    for i, e in enumerate(entries):
        yield e, loaded[i]
