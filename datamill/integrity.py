"""`datamill index` (rebuild the catalog from shards) and `datamill check` (catalog ↔ shards consistency)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.parquet as pq

from datamill import catalog
from datamill.audit_replay import compare_with_log, replay
from datamill.store import RECORD_TYPES, Store, file_checksum, kind_of
from schemas import SchemaError, records_from_arrow


@dataclass
class CheckReport:
    shards_checked: int = 0
    samples_checked: int = 0
    problems: list[str] = field(default_factory=list)
    # recoverable states of a killed job (re-run it, or `datamill index`): not inconsistencies of the catalog
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def text(self) -> str:
        head = f"checked {self.shards_checked} shards, {self.samples_checked} samples: "
        warn = "".join(f"\n  ~ {w}" for w in self.warnings)
        if self.ok:
            return head + "catalog and shards agree" + warn
        return (
            head + f"{len(self.problems)} problem(s)\n" + "\n".join(f"  - {p}" for p in self.problems) + warn
        )


def check(store: Store, verify_checksums: bool = True) -> CheckReport:
    rep = CheckReport()
    if not store.catalog_path.exists():
        rep.problems.append(f"no catalog at {store.catalog_path}")
        return rep
    with store.connect(read_only=True) as con:
        shards = con.execute("SELECT path, rows, bytes, checksum FROM shards ORDER BY path").fetchall()
        sample_counts = dict(con.execute("SELECT shard, count(*) FROM samples GROUP BY shard").fetchall())
        dup_catalog = con.execute(
            "SELECT id, count(*) FROM samples GROUP BY id HAVING count(*) > 1 LIMIT 5"
        ).fetchall()
        rep.samples_checked = con.execute("SELECT count(*) FROM samples").fetchone()[0]
        running = {
            (n, r)
            for n, r in con.execute("SELECT name, run_id FROM datasets WHERE status = 'running'").fetchall()
        }
    on_disk = {str(p.relative_to(store.root)) for p in store.shard_files()}
    readable = []
    for path, rows, nbytes, checksum in shards:
        rep.shards_checked += 1
        f = store.root / path
        if not f.exists():
            rep.problems.append(f"missing shard: {path} is in the catalog but not on disk")
            continue
        if f.stat().st_size != nbytes:
            rep.problems.append(f"size mismatch: {path} has {f.stat().st_size} bytes, catalog says {nbytes}")
        elif verify_checksums and file_checksum(f) != checksum:
            rep.problems.append(f"checksum mismatch: {path} (corrupt or modified after it was written)")
        try:
            n = pq.ParquetFile(f).metadata.num_rows
            readable.append(str(f))
        except (pa.ArrowInvalid, OSError) as e:
            rep.problems.append(f"corrupt shard: {path} cannot be read as Parquet ({e})")
            continue
        if n != rows:
            rep.problems.append(f"row mismatch: {path} has {n} rows, catalog says {rows}")
        if sample_counts.get(path, 0) != rows:
            rep.problems.append(
                f"sample rows missing: {path} has {sample_counts.get(path, 0)} catalog rows of {rows}"
            )
    for extra in sorted(on_disk - {s[0] for s in shards}):
        dataset, run_id = extra.split("/")[:2]
        if (dataset, run_id) in running:
            rep.warnings.append(
                f"unfinished run {dataset}/{run_id}: {extra} not registered yet (re-run the job)"
            )
        else:
            rep.problems.append(
                f"unregistered shard: {extra} is on disk but not in the catalog (run `datamill index`)"
            )
        try:
            pq.ParquetFile(store.root / extra)
            readable.append(str(store.root / extra))
        except (pa.ArrowInvalid, OSError) as e:
            rep.problems.append(f"corrupt shard: {extra} cannot be read as Parquet ({e})")
    for tmp in sorted(store.root.glob("*/*/*.tmp-*")):
        rep.warnings.append(
            f"leftover temporary file: {tmp.relative_to(store.root)} (a killed writer; removed on re-run)"
        )
    for sid, n in dup_catalog:
        rep.problems.append(f"duplicate id in catalog: {sid} ({n} rows)")
    if readable:
        import duckdb

        dups = duckdb.sql(
            "SELECT id, count(*) FROM read_parquet($files) GROUP BY id HAVING count(*) > 1 LIMIT 5",
            params={"files": readable},
        ).fetchall()
        for sid, n in dups:
            rep.problems.append(f"duplicate id across shards: {sid} appears {n} times")
    problems, warnings = compare_with_log(store)  # the audit log (append-only files) vs its catalog cache
    rep.problems += problems
    rep.warnings += warnings
    return rep


def rebuild_index(store: Store) -> dict:
    """Rebuild catalog datasets/shards/samples from the files, and the audits from the audit log (mixtures are
    kept)."""
    counts = {"shards": 0, "samples": 0, "skipped": []}
    with store.connect() as con:
        con.execute("DELETE FROM samples; DELETE FROM shards; DELETE FROM datasets;")
    for run_meta in sorted(store.root.glob("*/*/_run.json")):
        meta = json.loads(run_meta.read_text())
        with store.connect() as con:
            con.execute(
                "INSERT INTO datasets VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'complete', now(), now()) ON CONFLICT DO NOTHING",
                [
                    meta["name"],
                    meta["run_id"],
                    meta["kind"],
                    meta["run_id"],
                    meta["config_hash"],
                    meta["code_version"],
                    meta.get("parents", []),
                    json.dumps(meta.get("config", {}), sort_keys=True),
                ],
            )
    for f in store.shard_files():
        rel = f.relative_to(store.root)
        dataset, run_id, name = rel.parts
        try:
            kind = kind_of(pq.read_schema(f))
            rows = pq.ParquetFile(f).metadata.num_rows
        except (pa.ArrowInvalid, OSError) as e:
            counts["skipped"].append(f"{rel}: unreadable ({e})")
            continue
        if kind is None:
            counts["skipped"].append(f"{rel}: not a datamill record shard")
            continue
        try:  # every row must be a valid record before the shard enters the catalog
            records_from_arrow(pq.read_table(f), RECORD_TYPES[kind], str(rel))
        except SchemaError as e:
            counts["skipped"].append(f"{e}")
            continue
        shard = {
            "path": str(rel),
            "dataset": dataset,
            "run_id": run_id,
            "part": int(name[5:10]),
            "rows": rows,
            "bytes": f.stat().st_size,
            "checksum": file_checksum(f),
        }
        with store.connect() as con:
            try:
                catalog.register_shard(con, store.root, shard, kind)
            except Exception as e:  # noqa: BLE001 — e.g. duplicate ids: report, keep indexing the rest
                counts["skipped"].append(f"{rel}: {e}")
                continue
        counts["shards"] += 1
        counts["samples"] += rows
    audits = replay(store)  # the audits table is a cache of <store>/_audits/: rebuilt row for row
    if audits["audits"] or audits["adopted"]:
        counts["audits"], counts["audits_adopted"] = audits["audits"], audits["adopted"]
    counts["skipped"] += [f"audit log line {b}" for b in audits["bad_lines"]]
    return counts
