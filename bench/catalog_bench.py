"""Catalog at 1,000,000 sample rows: ingest rows/s and facet-query latency (p50/p95), against plain DuckDB
queries over the same Parquet shards (the way a user would query the files without our catalog).

Issue target: facet queries < 200 ms at 1M rows on 2 cores.    usage: python bench/catalog_bench.py [--rows N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench._report import table, write_section
from datamill.store import Store
from schemas import SFTSample

DOMAINS = ["world_knowledge", "math", "code", "logic", "long_context", "tool_use", "multilingual"]
LANGS = ["en", "ko", "es"]


def synthetic_shard(start: int, n: int, rng: np.random.Generator) -> pa.Table:
    ids = [f"s{start + i:09d}" for i in range(n)]
    dom = rng.integers(0, len(DOMAINS), n)
    lang = rng.integers(0, len(LANGS), n)
    passed = rng.random(n) > 0.2
    msgs = [
        [
            {
                "role": "user",
                "content": f"question {start + i}",
                "reasoning_content": None,
                "tool_calls": [],
                "tool_call_id": None,
                "name": None,
            },
            {
                "role": "assistant",
                "content": "answer",
                "reasoning_content": None,
                "tool_calls": [],
                "tool_call_id": None,
                "name": None,
            },
        ]
        for i in range(n)
    ]
    cols = {
        "schema_version": pa.array(np.ones(n, np.int32)),
        "id": pa.array(ids),
        "dataset": pa.array(["bench"] * n),
        "domain": pa.array([DOMAINS[d] for d in dom]),
        "language": pa.array([LANGS[x] for x in lang]),
        "mode": pa.array(np.where(rng.random(n) < 0.6, "reasoning", "non_reasoning")),
        "messages": pa.array(msgs, type=SFTSample.ARROW_SCHEMA.field("messages").type),
        "tools": pa.array(["[]"] * n),
        "verdicts": pa.array(
            [[{"verifier": "v", "passed": bool(p), "reason": "", "details": "{}"}] for p in passed],
            type=SFTSample.ARROW_SCHEMA.field("verdicts").type,
        ),
        "scores": pa.array(
            [[("edu", float(s))] for s in rng.random(n) * 5], type=pa.map_(pa.string(), pa.float64())
        ),
        "num_tokens": pa.array(rng.integers(50, 4000, n)),
        "license": pa.array(["MIT"] * n),
        "lineage": pa.array(
            [
                {
                    "parent_ids": [],
                    "source": "bench",
                    "model": None,
                    "params": "{}",
                    "seed": 0,
                    "prompt_id": None,
                }
            ]
            * n,
            type=SFTSample.ARROW_SCHEMA.field("lineage").type,
        ),
        "metadata": pa.array(["{}"] * n),
    }
    return pa.table(cols, schema=SFTSample.ARROW_SCHEMA)


QUERIES = {
    "facet domain×language×mode": (
        "SELECT domain, language, mode, count(*) FROM {src} GROUP BY ALL ORDER BY ALL"
    ),
    "page of 50 (filtered)": (
        "SELECT id, domain, language, mode, {tok} FROM {src} WHERE domain = 'math' AND language = 'ko' AND {passed} "
        "ORDER BY id LIMIT 50 OFFSET 1000"
    ),
    "token sum by domain": "SELECT domain, sum({tok}) FROM {src} GROUP BY domain ORDER BY domain",
}


def timed(fn, reps: int) -> list[float]:
    out = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--shard-rows", type=int, default=50_000)
    ap.add_argument("--reps", type=int, default=20)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "store")
        store.begin_run("bench", "r1", "sft", {"rows": args.rows})
        t0 = time.perf_counter()
        for part, start in enumerate(range(0, args.rows, args.shard_rows)):
            store.write_shard(
                "bench",
                "r1",
                part,
                synthetic_shard(start, min(args.shard_rows, args.rows - start), rng),
                kind="sft",
            )
        ingest_s = time.perf_counter() - t0
        import duckdb

        files = [str(p) for p in store.shard_files()]
        plain = duckdb.connect()
        plain.execute(f"CREATE VIEW shards AS SELECT * FROM read_parquet({files!r})")
        rows = []
        with store.connect(read_only=True) as con:
            for name, q in QUERIES.items():
                ours = timed(
                    lambda q=q: con.sql(q.format(src="samples", tok="tokens", passed="passed")).fetchall(),
                    args.reps,
                )
                base_q = q.format(
                    src="shards",
                    tok="num_tokens",
                    passed="list_bool_and(list_transform(verdicts, lambda v: v.passed))",
                )
                base = timed(lambda base_q=base_q: plain.sql(base_q).fetchall(), args.reps)
                p50, p95 = statistics.median(ours), np.percentile(ours, 95)
                b50 = statistics.median(base)
                rows.append(
                    [
                        name,
                        f"{p50:.1f}",
                        f"{p95:.1f}",
                        f"{b50:.1f}",
                        f"{b50 / p50:.2f}×",
                        "yes" if p95 < 200 else "NO",
                    ]
                )
    headers = [
        "query",
        "catalog p50 ms",
        "catalog p95 ms",
        "plain DuckDB over Parquet p50 ms",
        "speed-up",
        "< 200 ms",
    ]
    body = (
        f"{args.rows:,} sample rows in {len(files)} shards; ingest (write shard + register) "
        f"{args.rows / ingest_s:,.0f} rows/s ({ingest_s:.1f} s).\n\n" + table(headers, rows)
    )
    print(body)
    write_section("catalog_bench", body)


if __name__ == "__main__":
    main()
