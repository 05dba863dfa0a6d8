"""The store: immutable Parquet shards under store/<dataset>/<run>/part-NNNNN.parquet + store/catalog.duckdb.

A shard is written to a temporary name, fsynced and renamed, then registered in the catalog in one
transaction: a half-written shard is never visible, and a shard is "done" only once it is in the catalog.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import xxhash

from datamill import catalog
from datamill.atomic import atomic_write_bytes
from datamill.errors import DatamillError
from datamill.ids import config_hash
from schemas import PreferencePair, SFTSample, WebDocument
from schemas.records import Record, records_to_arrow

RECORD_TYPES: dict[str, type[Record]] = {"sft": SFTSample, "web": WebDocument, "preference": PreferencePair}
CODE_VERSION = "0.1.0"


class StoreWriteError(DatamillError, OSError):
    """Writing to the store failed (disk full, read-only, permissions): nothing partial was left visible."""


WRITE_ERRNOS = {
    28: "disk full",
    27: "file too large / disk quota",
    122: "disk quota exceeded",
    30: "read-only file system",
    13: "permission denied: is it read-only?",
}


def explain_os_error(what: str, e: OSError, unchanged: str = "the catalog is unchanged") -> StoreWriteError:
    """A one-line cause for a failed write: what was being written, why (disk full …), what is still intact."""
    hint = WRITE_ERRNOS.get(e.errno or 0, e.strerror or str(e))
    return StoreWriteError(e.errno, f"cannot write {what}: {hint} ({e.strerror or e}); {unchanged}")


def file_checksum(path: str | Path) -> str:
    h = xxhash.xxh3_128()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return "xxh3_128:" + h.hexdigest()


def kind_of(table_or_schema: pa.Table | pa.Schema) -> str | None:
    names = set((table_or_schema.schema if isinstance(table_or_schema, pa.Table) else table_or_schema).names)
    for kind, rtype in RECORD_TYPES.items():
        if set(rtype.ARROW_SCHEMA.names) <= names:
            return kind
    return None


class RunConflict(DatamillError, ValueError):
    """An existing run was asked to resume under another config."""


def _refuse_changed_config(d: Path, dataset: str, run_id: str, config: dict, execution_keys) -> None:
    sidecar = d / "_run.json"
    try:
        before = json.loads(sidecar.read_text(encoding="utf-8")).get("config", {})
    except (OSError, ValueError):
        return  # a new run (or a sidecar lost mid-write: nothing to compare with)
    now = json.loads(json.dumps(config, sort_keys=True, default=str))
    changed = sorted(
        k for k in set(before) | set(now) if k not in execution_keys and before.get(k) != now.get(k)
    )
    if changed:
        raise RunConflict(
            f"{dataset}/{run_id} was started with another config (changed: {', '.join(changed)}); resuming would "
            f"mix samples made under both. Use a new run_id, or remove {d} and run `datamill index` to redo it"
        )


@dataclass
class Store:
    root: Path

    def __post_init__(self):
        self.root = Path(self.root)

    @property
    def catalog_path(self) -> Path:
        return self.root / "catalog.duckdb"

    def connect(self, read_only: bool = False):
        if not read_only:
            try:
                self.root.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise explain_os_error(f"store {self.root}", e) from e
        return catalog.connect(self.catalog_path, read_only=read_only)

    def run_dir(self, dataset: str, run_id: str) -> Path:
        return self.root / dataset / run_id

    def shard_rel(self, dataset: str, run_id: str, part: int) -> str:
        return f"{dataset}/{run_id}/part-{part:05d}.parquet"

    # -- runs --------------------------------------------------------------------------------------------
    def begin_run(
        self,
        dataset: str,
        run_id: str,
        kind: str,
        config: dict,
        parents: list[str] | None = None,
        execution_keys: frozenset[str] = frozenset(),
    ) -> None:
        """Record a run (idempotent: a re-run of the same run keeps its row) and write its sidecar.

        A run that exists already resumes only with the same config (keys in `execution_keys`, such as worker
        counts, may differ): otherwise its finished shards and the new ones would come from different configs.
        """
        d = self.run_dir(dataset, run_id)
        _refuse_changed_config(d, dataset, run_id, config, execution_keys)
        meta = {
            "name": dataset,
            "run_id": run_id,
            "kind": kind,
            "config_hash": config_hash(config),
            "code_version": CODE_VERSION,
            "parents": parents or [],
            "config": config,
        }
        try:
            d.mkdir(parents=True, exist_ok=True)
            for stale in d.glob("*.tmp-*"):  # leftovers of a killed writer; never registered
                stale.unlink(missing_ok=True)
            atomic_write_bytes(
                d / "_run.json", json.dumps(meta, sort_keys=True, default=str, indent=1).encode()
            )
        except OSError as e:
            raise explain_os_error(f"run directory {d}", e) from e
        with self.connect() as con:
            con.execute(
                """INSERT INTO datasets VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'running', now(), NULL)
                   ON CONFLICT (name, run_id) DO NOTHING""",
                [
                    dataset,
                    run_id,
                    kind,
                    run_id,
                    meta["config_hash"],
                    CODE_VERSION,
                    parents or [],
                    json.dumps(config, sort_keys=True, default=str),
                ],
            )

    def finish_run(self, dataset: str, run_id: str) -> None:
        with self.connect() as con:
            con.execute(
                "UPDATE datasets SET status = 'complete', finished_at = now() WHERE name = ? AND run_id = ?",
                [dataset, run_id],
            )

    def done_parts(self, dataset: str, run_id: str) -> set[int]:
        if not self.catalog_path.exists():
            return set()
        with self.connect() as con:
            rows = con.execute(
                "SELECT part FROM shards WHERE dataset = ? AND run_id = ?", [dataset, run_id]
            ).fetchall()
        return {r[0] for r in rows}

    # -- shards ------------------------------------------------------------------------------------------
    def write_shard(
        self, dataset: str, run_id: str, part: int, records: list[Record] | pa.Table, kind: str | None = None
    ) -> dict:
        """Write one shard atomically and register it. Records' `dataset` field is set to `dataset`."""
        if isinstance(records, pa.Table):
            table = records
            kind = kind or kind_of(table)
        else:
            kind = kind or records[0].KIND if records else kind
            for r in records:
                r.dataset = dataset
            table = (
                records_to_arrow(records, RECORD_TYPES[kind])
                if records
                else RECORD_TYPES[kind].ARROW_SCHEMA.empty_table()
            )
        if kind not in RECORD_TYPES:
            raise ValueError(f"unknown record kind {kind!r} for shard {dataset}/{run_id}/{part}")
        rel = self.shard_rel(dataset, run_id, part)
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.tmp-{os.getpid()}")
        try:
            pq.write_table(table, tmp, compression="zstd")
            with open(tmp, "rb+") as f:
                os.fsync(f.fileno())
            os.replace(tmp, path)
            _fsync_dir(path.parent)
        except OSError as e:
            raise explain_os_error(f"shard {rel}", e) from e
        finally:
            try:
                tmp.unlink(missing_ok=True)
            except OSError:
                pass
        shard = {
            "path": rel,
            "dataset": dataset,
            "run_id": run_id,
            "part": part,
            "rows": table.num_rows,
            "bytes": path.stat().st_size,
            "checksum": file_checksum(path),
        }
        import duckdb

        try:
            with self.connect() as con:
                catalog.register_shard(con, self.root, shard, kind)
        except duckdb.IOException as e:
            raise StoreWriteError(
                5, f"cannot register shard {rel} in the catalog: {e}; re-run to finish"
            ) from e
        return shard

    def shard_files(self) -> list[Path]:
        return sorted(p for p in self.root.glob("*/*/part-*.parquet") if p.is_file())

    def read_table(self, dataset: str, run_id: str | None = None) -> pa.Table:
        """All shards of a dataset (latest complete run when run_id is None), in part order."""
        with self.connect(read_only=True) as con:
            if run_id is None:
                row = con.execute(
                    """SELECT run_id FROM datasets WHERE name = ? ORDER BY status = 'complete' DESC,
                                     created_at DESC LIMIT 1""",
                    [dataset],
                ).fetchone()
                if row is None:
                    raise KeyError(f"no dataset {dataset!r} in {self.catalog_path}")
                run_id = row[0]
            paths = [
                r[0]
                for r in con.execute(
                    "SELECT path FROM shards WHERE dataset = ? AND run_id = ? ORDER BY part",
                    [dataset, run_id],
                ).fetchall()
            ]
        tables = [pq.read_table(self.root / p) for p in paths]
        return pa.concat_tables(tables) if tables else pa.table({})


def _fsync_dir(d: Path) -> None:
    fd = os.open(d, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
