"""`datamill generate long-context`: shards in the store, resume, coverage JSON, engine tasks with canned output."""

from __future__ import annotations

import json

import yaml

from datamill.engine.canned import CannedEngine
from datamill.jobs import JobReport
from datamill.tokens import load_tokenizer
from generators.long_context.config import LongContextConfig
from generators.long_context.coverage import compute_coverage, coverage_table
from generators.long_context.generator import LongContextGenerator, Spec, all_depth_buckets
from generators.long_context.job import _engine_samples, run


def _config(tmp_path, **kw):
    cfg = {
        "lengths": [512, "1K"],
        "languages": ["en", "ko"],
        "tasks": ["niah", "chain", "fact", "summarize"],
        "depths": {"mode": "grid", "count": 3},
        "depth_buckets": 3,
        "prefer_shared_data": False,
        "chunk_size": 8,
    }
    cfg.update(kw)
    p = tmp_path / "lc.yaml"
    p.write_text(yaml.safe_dump(cfg), encoding="utf-8")
    return str(p)


def test_run_writes_samples_coverage_and_resumes(tmp_path, store, caplog):
    caplog.set_level("INFO")  # the job's messages are INFO log records
    cfg_path = _config(tmp_path)
    rep = run("long-context", cfg_path, store)
    out = caplog.text
    assert "summarize need a model; skipped (engine.backend is 'none')" in out
    # 2 languages × 2 lengths × 3 needle tasks × 3 depths; summarize is skipped without an engine
    assert rep.rows_written == 2 * 2 * 3 * 3 and rep.dropped == {}
    table = store.read_table("long_context", rep.run_id)
    assert set(table.column("domain").to_pylist()) == {"long_context"}
    metas = [json.loads(m) for m in table.column("metadata").to_pylist()]
    assert {m["length_bucket"] for m in metas} == {"512", "1K"}
    assert all(m["context_tokens"] in (512, 1024) for m in metas)
    cov = json.loads((store.run_dir("long_context", rep.run_id) / "_coverage.json").read_text())
    assert cov["lengths"] == ["512", "1K"] and cov["depth_buckets"] == ["0-33%", "33-67%", "67-100%"]
    assert len(cov["cells"]) == 2 * 3 * 2 and cov["empty"] == []  # grid 0/50/100 % hits every bucket
    assert sum(c["count"] for c in cov["cells"]) >= rep.rows_written
    again = run("long-context", cfg_path, store)
    assert again.rows_written == 0 and again.parts_skipped == again.parts_total == rep.parts_total


def test_coverage_flags_empty_cells():
    metas = [
        ("en", {"length_bucket": "4K", "depth_buckets": ["0-50%"]}),
        ("en", {"length_bucket": "4K", "depth_buckets": ["0-50%", "50-100%"]}),
    ]
    cov = compute_coverage(metas, ["4K", "8K"], ["0-50%", "50-100%"], ["en", "ko"])
    by = {(c["length"], c["depth_bucket"], c["language"]): c["count"] for c in cov["cells"]}
    assert by[("4K", "0-50%", "en")] == 2 and by[("4K", "50-100%", "en")] == 1
    assert len(cov["empty"]) == 8 - 2
    assert {"length": "8K", "depth_bucket": "0-50%", "language": "en"} in cov["empty"]
    assert "6 empty cells of 8" in coverage_table(cov)


def test_engine_tasks_use_the_model_and_drop_truncated(tmp_path):
    cfg = LongContextConfig(
        lengths=[512],
        languages=["en"],
        tasks=["summarize", "longform"],
        summary_words=40,
        prefer_shared_data=False,
    )
    gen = LongContextGenerator(load_tokenizer(), prefer_shared=False, n_depth_buckets=5)
    good = "This essay argues that startups should " + "build what users want " * 10
    engine = CannedEngine([good], model_name="canned-summariser")
    specs = [Spec("en", 512, "summarize", -1.0, 0, "-"), Spec("en", 512, "longform", -1.0, 0, "-")]
    rep = JobReport("long_context", "r")
    samples = _engine_samples(gen, engine, cfg, specs, rep, "r")
    assert len(samples) == 2 and samples[0].messages[-1].content == good.strip()
    assert samples[0].metadata["context_tokens"] == 512 and samples[0].lineage.model == "canned-summariser"
    assert "Summarise the text above" in samples[0].messages[0].content
    rep2 = JobReport("d", "r")
    assert _engine_samples(gen, CannedEngine(["Too short."]), cfg, specs[:1], rep2, "r") == []
    assert rep2.dropped == {"too_short": 1}
    assert gen.parse("<think>x</think>" + good, "length", 10) == (None, "truncated")
    assert gen.parse("<think>plan</think> ok " * 1, "stop", 10) == (None, "too_short")


def test_depth_buckets_cover_0_to_100():
    assert all_depth_buckets(5) == ["0-20%", "20-40%", "40-60%", "60-80%", "80-100%"]
