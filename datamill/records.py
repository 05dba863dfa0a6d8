"""Read a mixture manifest's records back from the store's shards: each shard once, ids checked."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq

from datamill.store import RECORD_TYPES, Store
from schemas.records import Record, records_from_arrow


class ManifestOutOfDate(ValueError):
    """A shard no longer holds the sample the manifest names at that row (re-run `datamill mix`)."""


def iter_shard_records(manifest: dict, store: Store, manifest_path: str | Path = "manifest"
                       ) -> Iterator[tuple[list[int], Record]]:
    """(manifest indices, record) for every distinct (shard, row), shard by shard in sorted order; the indices
    are the entries naming that row (several when a sample repeats). Memory: one shard's rows at a time."""
    entries = manifest["samples"]
    by_shard: dict[str, dict[int, list[int]]] = {}
    for i, e in enumerate(entries):
        by_shard.setdefault(e["shard"], {}).setdefault(e["row"], []).append(i)
    for shard, by_row in sorted(by_shard.items()):
        path = store.root / shard
        if not path.is_file():
            raise ManifestOutOfDate(f"{manifest_path}: shard {shard} is missing from store {store.root}")
        rows = sorted(by_row)
        kind = entries[by_row[rows[0]][0]]["kind"]
        records = records_from_arrow(pq.read_table(path).take(rows), RECORD_TYPES[kind], where=str(path))
        for row, rec in zip(rows, records):
            for i in by_row[row]:
                if rec.id != entries[i]["id"]:
                    raise ManifestOutOfDate(f"{manifest_path}: samples[{i}] expects id {entries[i]['id']} at "
                                            f"{shard} row {row}, found {rec.id} (re-run `datamill mix`)")
            yield by_row[row], rec


def iter_records(manifest: dict, store: Store, manifest_path: str | Path = "manifest") -> Iterator[tuple[dict, Record]]:
    """(manifest entry, record) for every entry, in manifest order (holds them all: for small selections)."""
    loaded: dict[int, Record] = {}
    for idx, rec in iter_shard_records(manifest, store, manifest_path):
        loaded.update(dict.fromkeys(idx, rec))
    for i, e in enumerate(manifest["samples"]):
        yield e, loaded[i]
