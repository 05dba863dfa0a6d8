"""run_curate over the embedded real web sample: shards, rejects with reasons, catalog, resume."""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from curation.job import run_curate
from datamill.store import Store
from schemas import WebDocument
from tests.curation.helpers import demo_config, write_config


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("curate")
    store = Store(tmp / "store")
    path = write_config(tmp, demo_config())
    return store, run_curate(path, store), path


def test_kept_documents_are_complete_web_documents(demo_run):
    store, report, _ = demo_run
    rows = store.read_table("web_demo", report.run_id).to_pylist()
    assert report.kept == len(rows) > 0
    docs = [WebDocument(**WebDocument.row_to_fields(r)) for r in rows]
    assert len({d.id for d in docs}) == len(docs)
    for d in docs:
        assert re.fullmatch(r".+/(html|warc)/[^/]+:\d+", d.source), d.source
        assert d.language in ("en", "es", "ko") and d.language_score >= 0.65
        assert d.edu_score is not None and 0.0 <= d.edu_score <= 1.0
        assert d.num_tokens > 0 and d.license and d.dedup_cluster
        assert set(d.pii_counts) == {"emails", "ips", "phones", "kr_rrn", "cards"}
        assert {"words", "line_punct_ratio", "dup_line_frac"} <= set(d.quality_scores)
        if d.pii_counts["emails"]:
            assert "<EMAIL>" in d.text
        assert not d.contaminated


def test_rejected_documents_carry_filter_and_reason(demo_run):
    store, report, _ = demo_run
    rej = [
        WebDocument(**WebDocument.row_to_fields(r))
        for r in store.read_table("web_demo.rejected", report.run_id).to_pylist()
    ]
    assert len(rej) == sum(report.dropped.values()) > 0
    reasons = {(d.metadata["drop"]["filter"], d.metadata["drop"]["reason"]) for d in rej}
    for f, r in reasons:
        assert re.fullmatch(r"[a-z0-9_]+", r), r
    # German/French pages of the sample are routed out: the demo allows en/ko/es only
    assert ("language", "language_not_allowed") in reasons
    assert {d.language for d in rej if d.metadata["drop"]["reason"] == "language_not_allowed"} >= {"de"}
    # warcio's example.com page is a 2-sentence stub: Gopher drops all its copies
    stubs = [d for d in rej if d.url == "http://example.com/"]
    assert stubs and all(d.metadata["drop"]["reason"] == "gopher_short_doc" for d in stubs)


def test_catalog_projects_rejects_as_failed_verdicts(demo_run):
    store, report, _ = demo_run
    with store.connect(read_only=True) as con:
        rows = con.execute(
            "SELECT dataset, passed, verdicts, source FROM samples WHERE run_id = ?", [report.run_id]
        ).fetchall()
    kept = [r for r in rows if r[0] == "web_demo"]
    rejected = [r for r in rows if r[0] == "web_demo.rejected"]
    assert all(r[1] and r[2] is None for r in kept)
    assert all(r[1] is False and '"passed":false' in r[2] for r in rejected)
    assert all(r[3] for r in rows)  # url, or file:offset when the input has none
    assert report.keep_rate("en") > 0 and report.keep_rate("es") > 0


def test_quarantine_report_names_file_and_offset(demo_run):
    _, report, _ = demo_run
    lines = Path(report.quarantine_path).read_text(encoding="utf-8").splitlines()
    assert report.quarantined == {"corrupt_warc": 1}
    assert "example-bad-non-chunked.warc.gz:0" in lines[0]


def test_rerun_resumes_without_duplicates(demo_run):
    store, report, path = demo_run
    again = run_curate(path, store)
    assert again.run_id == report.run_id
    assert (again.kept, again.dropped) == (report.kept, report.dropped)
    with store.connect(read_only=True) as con:
        n, distinct = con.execute(
            "SELECT count(*), count(DISTINCT id) FROM samples WHERE run_id = ?", [report.run_id]
        ).fetchone()
    assert n == distinct == report.kept + sum(report.dropped.values())


@pytest.mark.slow
def test_one_and_two_tasks_give_identical_shards(demo_run, tmp_path):
    store2, report2, _ = demo_run
    store1 = Store(tmp_path / "store")
    report1 = run_curate(write_config(tmp_path, demo_config(tasks=1)), store1)
    assert report1.run_id == report2.run_id  # task count is an execution setting, not part of the run id
    for part in range(2):
        rel = store1.shard_rel("web_demo", report1.run_id, part)
        assert (store1.root / rel).read_bytes() == (store2.root / rel).read_bytes(), rel
    rej = lambda s: sorted(
        i
        for p in (s.root / "web_demo.rejected").rglob("part-*.parquet")
        for i in pq.read_table(p).column("id").to_pylist()
    )
    assert rej(store1) == rej(store2)
