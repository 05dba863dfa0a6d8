"""Agentic tool-use SFT job: environment trajectories (multi-turn, multi-step, execution feedback) + BFCL seeds.

    run("tool-use", "configs/tool_use.yaml", Store("store"))   # == datamill generate tool-use configs/tool_use.yaml

With a model (engine.backend ≠ none) the agent is the model and the user is simulated (engine or scripted).
Without one, each task's REFERENCE plan (scripted agent + scripted user) runs in the real environment:
results and errors are real, lineage.model = "reference". Every trajectory is verified (verify.py); failed ones
are written too, with passed=false verdicts and their reasons, so mixtures (passed only) never export them.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from datamill.atomic import atomic_write_text
from datamill.config import load_config
from datamill.demo_data import EXAMPLES, shared_data
from datamill.engine.base import SamplingParams
from datamill.engine.factory import make_engine
from datamill.ids import sample_id, with_run_id
from datamill.jobs import JobReport, run_sharded
from datamill.store import Store
from datamill.tokens import count_chat_tokens
from generators.tool_use.bfcl_seeds import seed_sample
from generators.tool_use.config import ToolUseJobConfig
from generators.tool_use.envs import ENVIRONMENTS
from generators.tool_use.library import BfclEntry, bfcl_files, env_tool_problems, load_bfcl
from generators.tool_use.rollout import Trajectory, TrajectoryRunner
from generators.tool_use.tasks import Task
from generators.tool_use.tasks.sets import shop_tasks, travel_tasks
from generators.tool_use.verify import TrajectoryVerifier
from schemas import Lineage, SFTSample

log = logging.getLogger(__name__)

TASK_SETS = {"shop": shop_tasks, "travel": travel_tasks}


def load_tasks(environments: list[str]) -> list[Task]:
    problems = [p for name in environments for p in env_tool_problems(ENVIRONMENTS[name].TOOLS, name)]
    if problems:  # our own schemas must be valid: this is a bug, not bad input
        raise ValueError("invalid environment tool schema: " + "; ".join(problems))
    return [t for name in environments for t in TASK_SETS[name]()]


class ToolUseGenerator:
    """One chunk of work items → SFTSamples. Items: ("traj", task_id, mode, k) or ("bfcl", BfclEntry)."""

    def __init__(self, cfg: ToolUseJobConfig, tasks: list[Task], engine=None, user_engine=None):
        self.cfg, self.engine, self.user_engine = with_run_id(cfg), engine, user_engine
        self.tasks = {t.id: t for t in tasks}
        self.verifier = TrajectoryVerifier()
        self.reasons: Counter = Counter()

    def tokens(self, messages, tools, reasoning: bool = True) -> int:
        return count_chat_tokens(messages, tools, reasoning=reasoning, tokenizer_path=self.cfg.tokenizer)

    def runner(self, k: int) -> TrajectoryRunner:
        s = self.cfg.sampling
        params = SamplingParams(
            temperature=s.temperature,
            top_p=s.top_p,
            max_tokens=s.max_tokens,
            n=1,
            seed=s.seed + k,
            stop=("[|endofturn|]",),
        )
        return TrajectoryRunner(
            self.engine, self.user_engine, self.cfg.max_steps, self.cfg.max_user_turns, params
        )

    def process(self, chunk: Sequence[tuple], report: JobReport) -> list[SFTSample]:
        out: list[SFTSample] = []
        by_k: dict[int, list[tuple[Task, str]]] = {}
        for item in chunk:
            if item[0] == "traj":
                by_k.setdefault(item[3], []).append((self.tasks[item[1]], item[2]))
        for k, jobs in sorted(by_k.items()):
            runner = self.runner(k)
            for t in runner.run(jobs):
                out.append(self.trajectory_sample(t, k, runner.sampling))
        for item in chunk:
            if item[0] == "bfcl":
                tokens = lambda m, tl: self.tokens(m, tl, reasoning=False)
                out.append(seed_sample(item[1], self.cfg.dataset, self.cfg.run_id, tokens))
        for s in out:
            for v in s.verdicts:
                if not v.passed:
                    self.reasons[v.reason] += 1
                    report.add_drop(v.reason)  # kept in the store with passed=false; counted as not exported
        return out

    def trajectory_sample(self, t: Trajectory, k: int, params: SamplingParams) -> SFTSample:
        verdicts = self.verifier.verify(t)
        ref = self.engine is None
        model = "reference" if ref else (self.engine.model_name or "model")
        tools = ENVIRONMENTS[t.task.env].TOOLS
        messages = [t.system] + t.messages
        calls = [e for e in t.events if e.get("name")]
        passed = all(v.passed for v in verdicts)
        meta = {
            "kind": "env_trajectory",
            "env": t.task.env,
            "task_id": t.task.id,
            "tags": t.task.tags,
            "end_reason": t.end_reason,
            "steps": t.steps,
            "user_turns": t.user_turns,
            "tool_calls": len(calls),
            "parallel_steps": len({e["step"] for e in calls if e.get("index", 0) > 0}),
            "env_errors": [e.get("code") for e in calls if e["status"] == "execution_error"],
            "goal": t.goal_detail,
            "agent": "reference" if ref else "model",
            "user_simulator": "scripted" if (ref or self.user_engine is None) else "engine",
        }
        if not passed and not ref:
            meta["raw_outputs"] = t.raw_outputs  # for audit: exactly what the model said
        return SFTSample(
            id=sample_id(
                self.cfg.dataset,
                self.cfg.run_id,
                "tool_use",
                t.task.id,
                t.mode,
                "ref" if ref else f"{model}:{k}",
            ),
            dataset=self.cfg.dataset,
            domain="tool_use",
            language="en",
            mode=t.mode,
            messages=messages,
            tools=tools,
            verdicts=verdicts,
            num_tokens=self.tokens(messages, tools, reasoning=t.mode == "reasoning"),
            license="project-generated (simulated environment)",
            lineage=Lineage(
                parent_ids=[f"task:{t.task.id}"],
                source=f"env:{t.task.env}/{t.task.id}",
                model=model,
                params={} if ref else {**params.key(), "reasoning": t.mode == "reasoning"},
                seed=None if ref else params.seed,
            ),
            metadata=meta,
        )


def load_bfcl_entries(cfg: ToolUseJobConfig) -> tuple[list[BfclEntry], list[str], dict[str, int]]:
    roots = [EXAMPLES] + ([shared_data()] if cfg.bfcl.use_shared and shared_data() else [])
    errors: list[str] = []
    entries: list[BfclEntry] = []
    per_file: dict[str, int] = {}
    for f in bfcl_files(roots):
        got = load_bfcl(f, errors, cfg.bfcl.limit_per_file)
        per_file[str(f)] = len(got)
        entries += got
    return entries, errors, per_file


def run(kind: str, config_path: str, store: Store) -> JobReport:
    if kind != "tool-use":
        raise ValueError(f"generators.tool_use.job handles kind 'tool-use', not {kind!r}")
    cfg = with_run_id(load_config(config_path, ToolUseJobConfig))
    tasks = load_tasks(cfg.environments)
    engine = make_engine(cfg.engine, default_cache_dir=store.root / "_cache" / "completions")
    if engine is None:
        log.info(
            f"No model configured (engine.backend: none): running the {len(tasks)} tasks' REFERENCE plans "
            f"(scripted agent + scripted user) in the real environments; lineage.model = 'reference'. "
            f"Set engine.backend/model in {config_path} to generate trajectories with a model."
        )
    user_engine = engine if engine is not None and cfg.user_simulator == "engine" else None
    rollouts = 1 if engine is None else cfg.rollouts_per_task
    items: list[tuple] = [("traj", t.id, m, k) for t in tasks for m in cfg.modes for k in range(rollouts)]
    entries, bfcl_errors, per_file = load_bfcl_entries(cfg) if cfg.bfcl.enabled else ([], [], {})
    items += [("bfcl", e) for e in entries]
    for e in bfcl_errors:
        log.info(f"skipped BFCL entry: {e}")
    gen = ToolUseGenerator(cfg, tasks, engine, user_engine)
    # the inputs (not only the config) fix how items fall into shards: recorded with the config, a resumed run
    # that sees other ones (../shared/data appeared or went away) is refused by Store.begin_run
    inputs = {"tasks": [t.id for t in tasks], "bfcl_files": {Path(f).name: n for f, n in per_file.items()}}
    config = {**cfg.model_dump(), "inputs": inputs}
    report = run_sharded(
        store,
        cfg.dataset,
        cfg.run_id,
        "sft",
        config,
        items,
        gen.process,
        chunk_size=cfg.chunk_size,
        engine=engine,
    )
    report.errors = bfcl_errors + report.errors
    summary = {
        "dataset": cfg.dataset,
        "run_id": cfg.run_id,
        "engine": cfg.engine.backend,
        "agent": "reference" if engine is None else engine.model_name,
        "tasks": len(tasks),
        "trajectories": sum(1 for i in items if i[0] == "traj"),
        "bfcl_entries": len(entries),
        "bfcl_files": per_file,
        "bfcl_invalid": bfcl_errors,
        "rows_written": report.rows_written,
        "failed_verdict_reasons": dict(gen.reasons.most_common()),
    }
    atomic_write_text(
        store.run_dir(cfg.dataset, cfg.run_id) / "tool_use_report.json", json.dumps(summary, indent=2)
    )
    log.info(
        f"tool-use: {summary['trajectories']} trajectories over {len(tasks)} tasks, {len(entries)} BFCL seeds, "
        f"{len(bfcl_errors)} BFCL entries skipped; failed verdicts (kept, not exported): "
        f"{dict(gen.reasons.most_common()) or 'none'}"
    )
    return report
