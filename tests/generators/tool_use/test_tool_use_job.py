"""The job: samples in the catalog (failed ones kept, passed=false), reference lineage, resume, canned model run."""

from __future__ import annotations

import pytest
import yaml

from datamill.config import ConfigError
from datamill.ids import run_id_for, sample_id
from datamill.jobs import JobReport
from datamill.store import RunConflict
from generators.tool_use.config import ToolUseJobConfig
from generators.tool_use.job import ToolUseGenerator, load_tasks, run
from generators.tool_use.tasks import agent_text
from schemas import SFTSample, records_from_arrow


def _config(tmp_path, **over) -> str:
    cfg = {
        "dataset": "sft_tool_use",
        "run_id": "t1",
        "engine": {"backend": "none"},
        "bfcl": {"use_shared": False, "limit_per_file": 10},
        "chunk_size": 16,
        **over,
    }
    p = tmp_path / "tool_use.yaml"
    p.write_text(yaml.safe_dump(cfg))
    return str(p)


def test_reference_run_writes_verified_samples_and_resumes(tmp_path, store, caplog):
    caplog.set_level("INFO")  # the job's messages are INFO log records
    path = _config(tmp_path)
    report = run("tool-use", path, store)
    assert "No model configured" in caplog.text
    rows = records_from_arrow(store.read_table("sft_tool_use", "t1"), SFTSample)
    trajs = [r for r in rows if r.metadata["kind"] == "env_trajectory"]
    seeds = [r for r in rows if r.metadata["kind"] == "bfcl_single_turn"]
    assert len(trajs) == 2 * len(load_tasks(["shop", "travel"])) and len(seeds) == 30
    assert report.rows_written == len(rows) and len({r.id for r in rows}) == len(rows)
    assert all(r.passed and r.domain == "tool_use" and r.lineage.model == "reference" for r in rows)
    assert {r.mode for r in trajs} == {"reasoning", "non_reasoning"}
    assert all(r.num_tokens > 0 and r.tools for r in rows)
    rec = next(r for r in trajs if r.metadata["task_id"] == "shop.out_of_stock.0" and r.mode == "reasoning")
    assert rec.metadata["env_errors"] == ["out_of_stock"] and rec.messages[0].role == "system"
    with store.connect(
        read_only=True
    ) as con:  # BFCL is an evaluation set: its seeds are flagged in the catalog
        flagged = dict(con.execute("SELECT id, contaminated FROM samples").fetchall())
        items = dict(
            con.execute(
                "SELECT id, json_extract_string(contamination, '$.matches[0].item') FROM samples "
                "WHERE contamination IS NOT NULL"
            ).fetchall()
        )
    assert {r.id for r in seeds} == {i for i, c in flagged.items() if c} and len(flagged) == len(rows)
    assert items == {r.id: r.metadata["bfcl_id"] for r in seeds}  # the catalog names the BFCL item
    again = run("tool-use", path, store)
    assert again.rows_written == 0 and again.parts_skipped == again.parts_total


def test_bad_config_names_the_field(tmp_path, store):
    with pytest.raises(ConfigError, match="environments"):
        run("tool-use", _config(tmp_path, environments=["casino"]), store)


def test_model_run_keeps_failed_trajectories_with_reasons(make_engine):
    cfg = ToolUseJobConfig(environments=["shop"], modes=["non_reasoning"], bfcl={"enabled": False})
    tasks = [t for t in load_tasks(["shop"]) if t.id in ("shop.order_status.0", "shop.buy_item.0")]
    # the "model" answers every agent prompt with the same call → step limit / malformed / goal failures
    eng = make_engine(
        ['<think>\n\n</think>\n\n<tool_call>{"name": "get_order", "arguments": {"order_id": "o_5001"}}']
    )
    gen = ToolUseGenerator(cfg.model_copy(update={"max_steps": 2}), tasks, eng, eng)
    report = JobReport("sft_tool_use", "t")
    out = gen.process([("traj", t.id, "non_reasoning", 0) for t in tasks], report)
    assert [s.passed for s in out] == [False, False]
    assert all(s.lineage.model == "canned-agent" and s.metadata["raw_outputs"] for s in out)
    reasons = {v.reason for s in out for v in s.verdicts if not v.passed}
    assert {"malformed_json", "step_limit", "goal_not_met"} <= reasons
    assert out[0].lineage.params["reasoning"] is False  # the mode the agent was sampled in
    assert report.dropped["malformed_json"] == 2


def test_model_run_that_succeeds_passes(make_engine):
    cfg = ToolUseJobConfig(environments=["shop"], modes=["reasoning"], bfcl={"enabled": False})
    task = next(t for t in load_tasks(["shop"]) if t.id == "shop.order_status.1")
    eng = make_engine(
        [
            agent_text(
                "Both at once.",
                "",
                [("get_order", {"order_id": "o_5004"}), ("get_order", {"order_id": "o_5005"})],
            ),
            agent_text("Report.", "o_5004 is placed and o_5005 is delivered.", []),
        ]
    )
    [s] = ToolUseGenerator(cfg, [task], eng, eng).process(
        [("traj", task.id, "reasoning", 0)], JobReport("d", "r")
    )
    gen = ToolUseGenerator(cfg, [task], eng, eng)
    assert s.passed and s.id == sample_id(
        "sft_tool_use", gen.cfg.run_id, "tool_use", task.id, "reasoning", "canned-agent:0"
    )
    assert gen.cfg.run_id == run_id_for(cfg.model_dump(mode="json"))
    assert s.metadata["parallel_steps"] == 1 and s.lineage.params["reasoning"] is True


def test_run_with_a_model_uses_it_for_agent_and_user(tmp_path, store, caplog, monkeypatch, make_engine):
    caplog.set_level("INFO")  # the job's messages are INFO log records
    # a "model" that answers every agent step with plain text and every user turn with ###STOP###
    eng = make_engine(["<think>\n\n</think>\n\nI cannot help with that."], ["###STOP###"])
    monkeypatch.setattr("generators.tool_use.job.make_engine", lambda cfg, default_cache_dir=None: eng)
    path = _config(tmp_path, engine={"backend": "openai", "model": "m"}, environments=["shop"],
                   modes=["non_reasoning"], bfcl={"enabled": False})  # fmt: skip
    report = run("tool-use", path, store)
    assert "No model configured" not in caplog.text and "tool-use: " in caplog.text  # captured, not that line
    rows = records_from_arrow(store.read_table("sft_tool_use", "t1"), SFTSample)
    assert len(rows) == len(load_tasks(["shop"])) and report.rows_written == len(rows)
    assert all(r.lineage.model == "canned-agent" and r.metadata["user_simulator"] == "engine" for r in rows)
    assert all(
        not r.passed and {v.reason for v in r.verdicts if not v.passed} == {"goal_not_met"} for r in rows
    )
    assert report.dropped == {"goal_not_met": len(rows)}


def test_resume_with_other_inputs_is_refused(tmp_path, store):
    run("tool-use", _config(tmp_path), store)
    with pytest.raises(RunConflict, match=r"another config \(changed: bfcl, inputs\)"):
        run("tool-use", _config(tmp_path, bfcl={"use_shared": False, "limit_per_file": 5}), store)
