"""The math/code/logic job end to end: engine none (references only), canned model outputs, tiny transformers model."""

import json
import sys
from pathlib import Path

import pytest
import yaml

from datamill.config import ConfigError
from datamill.engine.base import prompt_id
from generators.reasoning.job import run
from generators.reasoning.prompts import build_prompt
from generators.seeds import SeedSourceConfig, load_seeds
from schemas import SFTSample
from schemas.response_meta import ResponseMeta

sys.path.insert(0, str(Path(__file__).parents[2] / "datamill" / "engine"))


def _cfg(tmp_path, **over) -> Path:
    cfg = {
        "domain": "math",
        "dataset": "sft_math_t",
        "run_id": "t1",
        "engine": {"backend": "none"},
        "sources": [{"name": "gsm8k", "limit": 3}],
        "n_responses": 4,
        "modes": ["reasoning", "non_reasoning"],
        "limits": {"math_workers": 1},
        "chunk_size": 2,
    }
    cfg.update(over)
    p = tmp_path / "job.yaml"
    p.write_text(yaml.safe_dump(cfg))
    return p


def _rows(store, dataset="sft_math_t"):
    return [SFTSample.from_row(r) for r in store.read_table(dataset).to_pylist()]


def test_engine_none_writes_verified_references_only(tmp_path, store, caplog):
    caplog.set_level("INFO")  # the job's messages are INFO log records
    report = run("math", str(_cfg(tmp_path)), store)
    assert "No model configured" in caplog.text
    rows = _rows(store)
    # each reference twice: as written (non-reasoning) and as a reasoning-mode trace + stated answer
    assert report.rows_written == len(rows) == 6
    assert sorted(r.mode for r in rows) == ["non_reasoning"] * 3 + ["reasoning"] * 3
    reasoning = [r for r in rows if r.mode == "reasoning"]
    assert all(r.messages[-1].reasoning_content and "\\boxed{" in r.messages[-1].content for r in reasoning)
    # the GSM8K reference ends with the answer sentence: stated once, after the trace, not twice
    assert all(r.messages[-1].content not in r.messages[-1].reasoning_content for r in reasoning)
    assert all(
        r.passed and r.metadata["response_source"] == "reference" and r.lineage.model == "reference"
        for r in rows
    )
    assert {r.metadata["difficulty"] for r in rows} == {"unknown"}
    assert [v.verifier for v in rows[0].verdicts] == [
        "math_verify",
        "degeneration",
        "language_consistency",
        "length",
    ]
    again = run("math", str(_cfg(tmp_path)), store)  # resume: nothing regenerated
    assert again.parts_skipped == again.parts_total == 2 and again.rows_written == 0


def test_canned_model_outputs_are_all_kept_with_reasons(tmp_path, store):
    seeds = load_seeds(SeedSourceConfig(name="gsm8k", limit=2))[0]
    lines = []
    for s in seeds:
        gold = s.ground_truth
        for reasoning in (True, False):
            outs = [
                f"<think>\nworking it out\n</think>\n\nThe answer is $\\boxed{{{gold}}}$.",
                f"<think>\nquick guess\n</think>\n\nThe answer is $\\boxed{{{int(gold) + 1}}}$.",
                "<think>\nno idea\n</think>\n\nI give up.",
                "<think>\n" + "Let me try again. " * 200,  # a loop that never closes its trace
            ]
            lines.append({"prompt_id": prompt_id(build_prompt(s), reasoning), "outputs": outs})
    canned = tmp_path / "canned.jsonl"
    canned.write_text("\n".join(json.dumps(x) for x in lines))
    cfg = _cfg(
        tmp_path,
        sources=[{"name": "gsm8k", "limit": 2}],
        engine={"backend": "canned", "model": "canned-v0", "canned_path": str(canned)},
    )
    run("math", str(cfg), store)
    rows = _rows(store)
    meta = {
        r.id: ResponseMeta.from_dict(r.metadata, r.id) for r in rows
    }  # every row carries the typed contract
    model_rows = [r for r in rows if meta[r.id].response_source == "canned-v0"]
    assert len(model_rows) == 2 * 2 * 4 and len(rows) == len(model_rows) + 2 * 2  # + reference in both modes
    assert sum(m.is_reference for m in meta.values()) == 2 * 2
    by_idx = {}
    for r in model_rows:
        by_idx.setdefault(str(meta[r.id].response_index), []).append(r)
    assert all(r.passed for r in by_idx["0"])
    assert {r.verdicts[0].reason for r in by_idx["1"]} == {"wrong_answer"}
    assert {r.verdicts[0].reason for r in by_idx["2"]} == {"no_final_answer"}
    loops = {v.reason for r in by_idx["3"] for v in r.verdicts if not v.passed}
    assert "truncated" in loops
    q = meta[model_rows[0].id]
    assert (q.pass_rate, q.n_responses, q.difficulty, q.rl_keep) == (0.25, 8, "hard", True)
    assert q.pass_rate_by_mode == {"reasoning": 0.25, "non_reasoning": 0.25}
    assert [m.correct for m in meta.values()] == [r.verdicts[0].passed for r in rows]
    reasoning = next(r for r in by_idx["0"] if r.mode == "reasoning")
    assert reasoning.messages[-1].reasoning_content == "working it out"
    assert reasoning.lineage.parent_ids == [reasoning.metadata["query_id"]] and reasoning.lineage.prompt_id


def test_broken_ground_truth_is_reported(tmp_path, store, examples, caplog):
    caplog.set_level("INFO")  # the job's messages are INFO log records
    real = (examples / "math" / "gsm8k_train.jsonl").read_text().splitlines()[:3]
    row = json.loads(real[1])
    row["answer"] = (
        row["answer"].rsplit("####", 1)[0] + "#### 99999"
    )  # ground truth that its own solution contradicts
    real[1] = json.dumps(row)
    data = tmp_path / "gsm8k_broken.jsonl"
    data.write_text("\n".join(real) + "\n{not json\n")
    report = run("math", str(_cfg(tmp_path, sources=[{"name": "gsm8k", "path": str(data)}])), store)
    assert "reference solutions failing their own ground truth: 1 (gsm8k:train:2)" in caplog.text
    assert any("gsm8k_broken.jsonl:4: malformed_json" in e for e in report.errors)
    summary = json.loads((store.run_dir("sft_math_t", "t1") / "reasoning_report.json").read_text())
    assert summary["reference_failed"] == {"count": 1, "ids": ["gsm8k:train:2"]}
    bad = next(r for r in _rows(store) if r.metadata["query_id"] == "gsm8k:train:2")
    assert [v.reason for v in bad.verdicts if not v.passed] == ["wrong_answer", "reference_failed"]


def test_config_errors_name_the_file(tmp_path, store):
    with pytest.raises(ConfigError, match=r"job.yaml:\d+: n_responses"):
        run("math", str(_cfg(tmp_path, n_responses=0)), store)
    with pytest.raises(ValueError, match="domain is 'math' but `generate code`"):
        run("code", str(_cfg(tmp_path)), store)


def test_code_and_logic_references(tmp_path, store):
    code = _cfg(tmp_path, domain="code", dataset="sft_code_t", sources=[{"name": "mbpp", "limit": 3}])
    assert run("code", str(code), store).rows_written == 3
    assert all(r.passed for r in _rows(store, "sft_code_t"))
    logic = _cfg(
        tmp_path,
        domain="logic",
        dataset="sft_logic_t",
        sources=[{"name": "reasoning_gym", "tasks": ["knights_knaves", "propositional_logic"], "limit": 2}],
    )
    run("logic", str(logic), store)
    rows = _rows(store, "sft_logic_t")
    assert len(rows) == 4 and all(r.passed for r in rows) and rows[0].verdicts[0].verifier == "reasoning_gym"


def test_tiny_transformers_model_end_to_end(tmp_path, store):
    from tiny_model import build_tiny_exaone

    model_dir = build_tiny_exaone(tmp_path / "tiny")
    cfg = _cfg(
        tmp_path,
        sources=[{"name": "gsm8k", "limit": 2}],
        n_responses=2,
        include_reference=False,
        engine={"backend": "transformers", "model": str(model_dir), "batch_size": 2},
        sampling={"max_tokens": 24, "temperature": 1.0},
    )
    run("math", str(cfg), store)
    rows = _rows(store)
    assert len(rows) == 2 * 2 * 2 and {r.metadata["response_source"] for r in rows} == {"tiny"}
    # a random model cannot solve GSM8K: every response fails, for a recorded reason
    assert not any(r.passed for r in rows)
    assert {r.verdicts[0].reason for r in rows} <= {"no_final_answer", "wrong_answer"}
    reasoning = [r for r in rows if r.mode == "reasoning"]
    assert all(v.reason == "truncated" for r in reasoning for v in r.verdicts if v.verifier == "degeneration")
    assert {r.metadata["pass_rate"] for r in rows} == {0.0} and rows[0].metadata["difficulty"] == "unsolved"
    assert (store.root / "_cache" / "completions" / "completions.sqlite").exists()


def test_rl_prefilter_drops_queries_solved_8_of_8():
    from generators.reasoning.checks import Response
    from generators.reasoning.job import query_stats
    from schemas import Verdict

    easy, hard = load_seeds(SeedSourceConfig(name="gsm8k", limit=2))[0]
    resp = [Response(easy, "", "stop", m, "m", i) for m in ("reasoning", "non_reasoning") for i in range(4)]
    resp += [Response(hard, "", "stop", "reasoning", "m", i) for i in range(8)]
    resp += [Response(hard, "", "stop", "non_reasoning", "reference", -1)]
    verdicts = [[Verdict(verifier="math_verify", passed=True)]] * 8
    verdicts += [[Verdict(verifier="math_verify", passed=i < 7)] for i in range(8)]
    verdicts += [[Verdict(verifier="math_verify", passed=True)]]  # the reference does not count
    stats = query_stats(verdicts, resp)
    assert stats[easy.id].rl_keep is False and stats[easy.id].difficulty == "solved_all"
    assert (stats[hard.id].rl_keep, stats[hard.id].pass_rate, stats[hard.id].n_responses) == (True, 7 / 8, 8)
    assert stats[hard.id].difficulty == "easy"


@pytest.mark.skipif(
    __import__("os").geteuid() != 0, reason="the namespace sandbox (which can break) needs root"
)
def test_a_broken_sandbox_stops_the_code_job_and_a_rerun_redoes_the_part(tmp_path, store, monkeypatch):
    """Issue #20 item 1: a sandbox failure became 205 'reference_failed' rows and done parts; now it stops the job
    with the cause and leaves the part undone, so the re-run from a working sandbox writes the real verdicts."""
    from generators.verify import SandboxError
    from generators.verify import sandbox as sandbox_mod

    code = _cfg(tmp_path, domain="code", dataset="sft_code_t", sources=[{"name": "mbpp", "limit": 3}])
    broken = tmp_path / "sandbox_init.py"
    broken.write_text(Path(sandbox_mod.INIT).read_text().replace("    _mirror(prefix, new_root)\n", ""))
    with monkeypatch.context() as m:
        m.setattr(sandbox_mod, "INIT", str(broken))
        m.setattr(sandbox_mod, "_PROBED", {})
        with pytest.raises(SandboxError, match="sandbox could not be built"):
            run("code", str(code), store)
    assert store.done_parts("sft_code_t", "t1") == set()
    assert run("code", str(code), store).rows_written == 3
    assert [(r.passed, r.verdicts[0].reason) for r in _rows(store, "sft_code_t")] == [(True, "")] * 3
