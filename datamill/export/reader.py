"""Read a mixture manifest's records back from the store's shards, in manifest order (repeats included)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq

from datamill.store import RECORD_TYPES, Store
from schemas.records import Record, records_from_arrow


class ManifestOutOfDate(ValueError):
    """A shard no longer holds the sample the manifest names at that row (re-run `datamill mix`)."""


def iter_records(manifest: dict, store: Store, manifest_path: str | Path = "manifest") -> Iterator[tuple[dict, Record]]:
    """(manifest entry, record) for every entry. Each shard is read once; ids are checked against the manifest."""
    entries = manifest["samples"]
    by_shard: dict[str, list[int]] = {}
    for i, e in enumerate(entries):
        by_shard.setdefault(e["shard"], []).append(i)
    loaded: dict[int, Record] = {}
    for shard, idx in sorted(by_shard.items()):
        path = store.root / shard
        if not path.is_file():
            raise ManifestOutOfDate(f"{manifest_path}: shard {shard} is missing from store {store.root}")
        kind = entries[idx[0]]["kind"]
        rows = sorted({entries[i]["row"] for i in idx})
        table = pq.read_table(path).take(rows)
        records = records_from_arrow(table, RECORD_TYPES[kind], where=str(path))
        by_row = dict(zip(rows, records))
        for i in idx:
            rec = by_row[entries[i]["row"]]
            if rec.id != entries[i]["id"]:
                raise ManifestOutOfDate(f"{manifest_path}: samples[{i}] expects id {entries[i]['id']} at "
                                        f"{shard} row {entries[i]['row']}, found {rec.id} (re-run `datamill mix`)")
            loaded[i] = rec
    for i, e in enumerate(entries):
        yield e, loaded[i]
