"""Dashboard page data at 1,000,000 catalog rows: the Overview page's load()+compute() and the first page of
Browse (facets + page + count), uncached (what a user waits for after new data lands), against the plain
DuckDB queries a person would type over the same catalog table on an already-open connection.

Issue target: < 1 s for Overview and for the first page of Browse.   usage: python bench/dashboard_bench.py [--rows N]
Rows are synthetic and inserted straight into the catalog `samples` table (the dashboards only read the catalog).
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._report import table, write_section
from dashboards.browse_query import BrowseFilter
from dashboards.views import browse, overview
from datamill import catalog

for _name in (
    "streamlit.runtime.scriptrunner_utils.script_run_context",
    "streamlit.runtime.caching.cache_data_api",
):
    logging.getLogger(_name).disabled = True  # "no runtime" warnings: pages are called outside a server

FILL_SQL = """
INSERT INTO samples SELECT
  's' || lpad(i::VARCHAR, 9, '0') AS id,
  'bench.' || (['math', 'code', 'ko_chat', 'xquad', 'web', 'tools', 'long'])[1 + i % 7] AS dataset,
  'r1', 'bench/r1/part-' || lpad((i // 50000)::VARCHAR, 5, '0') || '.parquet', (i % 50000)::INTEGER,
  CASE WHEN i % 7 = 4 THEN 'web' ELSE 'sft' END AS kind,
  (['math', 'code', 'multilingual', 'multilingual', 'web', 'tool_use', 'long_context'])[1 + i % 7] AS domain,
  (['en', 'ko', 'es'])[1 + (i * 7919) % 3] AS language,
  CASE WHEN i % 7 = 4 THEN NULL WHEN i % 5 < 3 THEN 'reasoning' ELSE 'non_reasoning' END AS mode,
  (20 + (i * 2654435761) % 4000)::BIGINT AS tokens,
  (i % 10) <> 0 AS passed,
  CASE WHEN i % 10 = 0 THEN '[{"verifier": "' || (['math_answer', 'code_exec', 'QualityFilter'])[1 + i % 3]
       || '", "passed": false, "reason": "' || (['wrong_answer', 'timeout', 'too_short'])[1 + i % 3] || '"}]' END,
  MAP {'edu': ((i * 31) % 6)::DOUBLE}, ((i * 31) % 6)::DOUBLE, false, []::VARCHAR[], 'synthetic:' || i::VARCHAR,
  'MIT', 'sample ' || i::VARCHAR || ' question about ' || (['apples', 'graphs', '김치', 'tortillas'])[1 + i % 4]
FROM range(?) t(i)"""


def build(root: Path, rows: int) -> None:
    with catalog.connect(root / "catalog.duckdb") as con:
        con.execute(FILL_SQL, [rows])
        con.execute("""INSERT INTO audits (sample_id, decision, reason, reviewer, ts)
                       SELECT id, (['accept', 'reject', 'flag'])[1 + "row" % 3], 'bench', 'bench', now()
                       FROM samples WHERE "row" % 100 = 0""")


def timed(fn, reps: int) -> list[float]:
    out = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--reps", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        build(root, args.rows)
        print(f"built a catalog of {args.rows:,} rows in {time.perf_counter() - t0:.1f} s")
        r, version = str(root), 0.0
        default = dataclasses.asdict(BrowseFilter())
        filtered = dataclasses.asdict(
            BrowseFilter(languages=["ko"], domains=["multilingual"], text="김치", audit="unaudited")
        )

        def ov():
            overview.load.clear()
            overview.compute(overview.load(r, version), ["dataset", "domain", "language", "mode"])

        def first_page(fields, page=0):
            def f():
                browse.load_facets.clear()
                browse.load.clear()
                browse.load_facets(r, version)
                rows, total = browse.load(r, version, fields, page, 50)
                browse.compute(rows, total, page, 50)

            return f

        con = catalog.duckdb.connect(str(root / "catalog.duckdb"), read_only=True)
        base_ov = lambda: con.sql(
            "SELECT dataset, domain, language, mode, count(*), sum(tokens) FROM samples GROUP BY ALL"
        ).fetchall()
        base_page = lambda: con.sql("SELECT * FROM samples ORDER BY id LIMIT 50").fetchall()
        base_deep = lambda: con.sql("SELECT * FROM samples ORDER BY id LIMIT 50 OFFSET 499950").fetchall()
        base_filtered = lambda: con.sql(
            "SELECT * FROM samples WHERE language = 'ko' AND domain = 'multilingual' "
            "AND preview ILIKE '%김치%' ORDER BY id LIMIT 50"
        ).fetchall()
        cases = [
            ("Overview (load + compute)", ov, base_ov, "5 aggregates vs 1 GROUP BY"),
            ("Browse first page", first_page(default), base_page, "facets+page+count vs 1 page"),
            (
                "Browse filtered + text search",
                first_page(filtered),
                base_filtered,
                "ko·multilingual·'김치'·unaudited",
            ),
            ("Browse page 10,000 (OFFSET)", first_page(default, 9_999), base_deep, "same OFFSET 499,950"),
        ]
        rows = []
        for name, fn, base, note in cases:
            fn()  # warm the OS page cache and DuckDB's buffer pool once, as a running app would be
            p = statistics.median(timed(fn, args.reps))
            b = statistics.median(timed(base, args.reps))
            rows.append(
                [name, f"{p * 1000:.0f}", f"{b * 1000:.1f}", f"{p / b:.1f}×", "yes" if p < 1 else "NO", note]
            )
        con.close()
    headers = ["page data", "page p50 ms", "plain DuckDB p50 ms", "page / plain", "< 1 s", "what"]
    out = table(headers, rows)
    print(out)
    write_section(
        "dashboard_bench",
        f"""{args.rows:,} synthetic rows inserted into a catalog `samples` table (+1 % audited);
machine = 2-core CPU. Page data = the page's uncached `load()` + `compute()` (opening a read-only catalog
connection, as the app does on every load); plain DuckDB = the closest single query on one already-open
connection. Browse first page = 6 facet DISTINCTs + the page (cut first, then joined with latest_audits) + count.
`python bench/dashboard_bench.py --rows {args.rows}`

{out}
""",
    )


if __name__ == "__main__":
    main()
