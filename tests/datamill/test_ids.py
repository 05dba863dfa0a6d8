"""One id policy (datamill.ids): sample ids are scoped by dataset and run, so a second run of the same seeds under a
new run id — what RunConflict and the guide advise — writes next to the first instead of crashing the catalog with
"Duplicate key" (issue #20 item 2), for every generator."""

from __future__ import annotations

import yaml

from datamill.ids import run_id_for, sample_id, with_run_id
from datamill.integrity import check, rebuild_index
from generators.reasoning.config import ReasoningJobConfig


def test_sample_ids_are_scoped_by_dataset_and_run():
    a = sample_id("sft_math", "r1", "gsm8k:train:1", "reasoning", "ref")
    assert a == sample_id("sft_math", "r1", "gsm8k:train:1", "reasoning", "ref")  # deterministic: resume-safe
    assert len(a) == 24 and int(a, 16) >= 0
    assert a != sample_id("sft_math", "r2", "gsm8k:train:1", "reasoning", "ref")
    assert a != sample_id("sft_math_b", "r1", "gsm8k:train:1", "reasoning", "ref")
    assert sample_id("d", "r", "a|b") == sample_id(
        "d", "r", "a", "b"
    )  # the documented separator, nothing hidden


def test_run_ids_ignore_the_run_id_itself_and_execution_keys():
    cfg = {"dataset": "d", "n": 4, "limits": {"code_workers": 2, "code_timeout_s": 10}}
    base = run_id_for(cfg, ["limits.code_workers"])
    assert base.startswith("cfg-") and len(base) == 14
    assert run_id_for({**cfg, "run_id": None}, ["limits.code_workers"]) == base
    faster = {**cfg, "limits": {"code_workers": 8, "code_timeout_s": 10}}
    assert run_id_for(faster, ["limits.code_workers"]) == base
    stricter = {**cfg, "limits": {"code_workers": 2, "code_timeout_s": 5}}
    assert run_id_for(stricter, ["limits.code_workers"]) != base


def test_reasoning_default_run_id_is_the_config_hash_not_v1():
    cfg = ReasoningJobConfig(domain="math", dataset="m", sources=[{"name": "gsm8k", "limit": 2}])
    assert cfg.run_id is None
    assert with_run_id(cfg).run_id == run_id_for(cfg.model_dump(mode="json"))
    assert with_run_id(cfg.model_copy(update={"run_id": "mine"})).run_id == "mine"


def _yaml(tmp_path, name, cfg) -> str:
    p = tmp_path / name
    p.write_text(yaml.safe_dump(cfg))
    return str(p)


def test_a_second_run_id_of_every_generator_writes_beside_the_first(tmp_path, store):
    from generators.long_context.job import run as long_context
    from generators.reasoning.job import run as reasoning
    from generators.tool_use.job import run as tool_use

    jobs = {
        "sft_math_t": (
            reasoning,
            "math",
            {
                "domain": "math",
                "dataset": "sft_math_t",
                "engine": {"backend": "none"},
                "sources": [{"name": "gsm8k", "limit": 3}],
                "limits": {"math_workers": 1},
            },
        ),
        "sft_tool_use_t": (
            tool_use,
            "tool-use",
            {
                "dataset": "sft_tool_use_t",
                "engine": {"backend": "none"},
                "environments": ["shop"],
                "bfcl": {"use_shared": False, "limit_per_file": 3},
            },
        ),
        "long_context_t": (
            long_context,
            "long-context",
            {
                "dataset": "long_context_t",
                "lengths": [512],
                "languages": ["en"],
                "tasks": ["niah"],
                "depths": {"mode": "grid", "count": 2},
                "prefer_shared_data": False,
            },
        ),
    }
    for dataset, (run, kind, cfg) in jobs.items():
        first = run(kind, _yaml(tmp_path, f"{dataset}-1.yaml", {**cfg, "run_id": "first"}), store)
        second = run(kind, _yaml(tmp_path, f"{dataset}-2.yaml", {**cfg, "run_id": "second"}), store)
        assert first.rows_written == second.rows_written > 0, dataset
        ids = {r: set(store.read_table(dataset, r).column("id").to_pylist()) for r in ("first", "second")}
        assert len(ids["first"]) == first.rows_written and not ids["first"] & ids["second"], dataset
    report = check(store)
    assert report.ok, report.problems
    before = {ds: store.read_table(ds).num_rows for ds in jobs}
    rebuild_index(store)
    assert check(store).ok and {ds: store.read_table(ds).num_rows for ds in jobs} == before
