"""Math / code / logic SFT: N responses per query in reasoning and non-reasoning mode, every one verified.

Every response becomes an SFTSample — failed ones too (passed=false; mixtures select passed=true, the
preference builder pairs correct vs incorrect responses of one query). Reference solutions from the datasets
are verified as a response source; a reference that fails its own ground truth is reported as broken.

    run("math", "configs/math.yaml", Store("store"))   # == datamill generate math configs/math.yaml
"""

from __future__ import annotations

import json
import logging
from collections import Counter

from datamill.atomic import atomic_write_text
from datamill.config import ConfigError, load_config
from datamill.engine.base import SamplingParams, prompt_id
from datamill.engine.factory import make_engine
from datamill.ids import sample_id, with_run_id
from datamill.jobs import JobReport, run_sharded
from datamill.store import Store
from generators.reasoning.checks import Response, ResponseChecker
from generators.reasoning.config import ReasoningJobConfig
from generators.reasoning.prompts import build_prompt, difficulty, reference_as_reasoning
from generators.seeds import load_seeds
from generators.verify import SandboxLimits
from schemas import Lineage, Message, SFTSample, Verdict
from schemas.chat_format import reasoning_and_answer
from schemas.response_meta import REFERENCE, QueryStats, ResponseMeta
from schemas.seed import SeedProblem

log = logging.getLogger(__name__)

EXECUTION_KEYS = ("limits.math_workers", "limits.code_workers")  # how fast, not what: not in the run id
RL_ALL_CORRECT = 8  # EXAONE 4.0 RL pre-filter: queries the model answers 8/8 correctly are dropped from RL


def load_problems(cfg: ReasoningJobConfig) -> tuple[list[SeedProblem], list[str]]:
    problems, errors = [], []
    for src in cfg.sources:
        got, errs = load_seeds(src)
        problems += got
        errors += errs
    bad = [p.id for p in problems if p.domain != cfg.domain]
    if bad:
        raise ConfigError(f"config domain {cfg.domain!r} but sources give other domains (e.g. {bad[0]})")
    return problems[: cfg.limits.max_problems] if cfg.limits.max_problems else problems, errors


def to_messages(seed: SeedProblem, text: str) -> list[Message]:
    # the answer the verifier judges; a response cut off mid-thought keeps its trace and has no answer
    think, answer = reasoning_and_answer(text)
    return build_prompt(seed) + [Message(role="assistant", content=answer or "", reasoning_content=think)]


def query_stats(verdicts: list[list[Verdict]], responses: list[Response]) -> dict[str, QueryStats]:
    """Per query: pass rate over the model's responses (correctness verdict only; overall and per mode),
    difficulty bucket, RL keep flag."""
    per: dict[str, list[bool]] = {}
    by_mode: dict[str, dict[str, list[bool]]] = {}
    for r, vs in zip(responses, verdicts):
        if r.source != REFERENCE:
            per.setdefault(r.seed.id, []).append(vs[0].passed)
            by_mode.setdefault(r.seed.id, {}).setdefault(r.mode, []).append(vs[0].passed)
    out = {}
    for r in responses:
        ok = per.get(r.seed.id, [])
        rate = sum(ok) / len(ok) if ok else None
        out[r.seed.id] = QueryStats(
            pass_rate=rate,
            pass_rate_by_mode={m: sum(v) / len(v) for m, v in by_mode.get(r.seed.id, {}).items()},
            difficulty=difficulty(rate),
            n_responses=len(ok),
            rl_keep=not (len(ok) >= RL_ALL_CORRECT and all(ok)),
        )
    return out


class ReasoningGenerator:
    """One chunk of seed problems → verified SFTSamples (the engine call is the only model contact)."""

    def __init__(self, cfg: ReasoningJobConfig, engine, tokenizer):
        self.cfg, self.engine, self.tokenizer = with_run_id(cfg, EXECUTION_KEYS), engine, tokenizer
        lim = cfg.limits
        self.checker = ResponseChecker(
            cfg.domain,
            lim.math_workers,
            lim.math_timeout_s,
            SandboxLimits(
                timeout_s=3 * lim.code_timeout_s, cpu_s=int(lim.code_timeout_s), mem_mb=lim.code_mem_mb
            ),
            lim.code_workers,
            lim.max_response_tokens,
        )
        self.reference_failed: list[str] = []
        self.reasons: Counter = Counter()

    def params(self, mode: str) -> SamplingParams:
        s = self.cfg.sampling
        return SamplingParams(
            temperature=s.temperature,
            top_p=s.top_p,
            max_tokens=s.max_tokens,
            n=self.cfg.n_responses,
            seed=s.seed,
            reasoning=mode == "reasoning",
        )

    def responses(self, chunk: list[SeedProblem]) -> list[Response]:
        out = []
        if self.cfg.include_reference:
            for s in chunk:
                if not s.reference_solution:
                    continue
                out.append(Response(s, s.reference_solution, "stop", "non_reasoning", REFERENCE, -1))
                if self.cfg.domain == "math" and "reasoning" in self.cfg.modes:
                    # reasoning mode from the same reference: its worked solution is the <think> trace and the
                    # answer states the ground truth (the non-reasoning twin checks the solution reaches it)
                    out.append(Response(s, reference_as_reasoning(s), "stop", "reasoning", REFERENCE, -1))
        if self.engine is not None:
            for mode in self.cfg.modes:
                params = self.params(mode)
                prompts = [build_prompt(s) for s in chunk]
                for s, p, comps in zip(chunk, prompts, self.engine.generate(prompts, params)):
                    out += [
                        Response(
                            s,
                            c.text,
                            c.finish_reason,
                            mode,
                            c.model or self.engine.model_name,
                            c.index,
                            prompt_id=prompt_id(p, params.reasoning),
                        )
                        for c in comps
                    ]
        return out

    def process(self, chunk: list[SeedProblem], report: JobReport) -> list[SFTSample]:
        responses = self.responses(list(chunk))
        msgs = [to_messages(r.seed, r.text) for r in responses]
        from schemas import render_exaone_chat

        texts = [render_exaone_chat(m, reasoning=r.mode == "reasoning")[0] for m, r in zip(msgs, responses)]
        for r, e in zip(
            responses, self.tokenizer.backend_tokenizer.encode_batch(texts, add_special_tokens=False)
        ):
            r.num_tokens = len(e.ids)
        verdicts = self.checker.check(responses)
        broken = {
            r.seed.id: vs[0]
            for r, vs in zip(responses, verdicts)
            if r.source == REFERENCE and not vs[0].passed
        }
        for qid, v in broken.items():
            self.reference_failed.append(qid)
            report.errors.append(f"reference_failed: {qid} ({v.reason})")
        stats = query_stats(verdicts, responses)
        out = []
        for r, m, vs in zip(responses, msgs, verdicts):
            # the ground truth itself is suspect: no response of this query is trusted
            if r.seed.id in broken:
                vs = vs + [
                    Verdict(
                        verifier="reference_check",
                        passed=False,
                        reason="reference_failed",
                        details={"reference_reason": broken[r.seed.id].reason},
                    )
                ]
            self.reasons.update(v.reason for v in vs if not v.passed)
            out.append(self.sample(r, m, vs, stats[r.seed.id]))
        return out

    def sample(
        self, r: Response, messages: list[Message], verdicts: list[Verdict], stats: QueryStats
    ) -> SFTSample:
        ref = r.source == REFERENCE
        tag = "ref" if ref else f"{r.source}:{r.index}"
        params = {} if ref else self.params(r.mode).key()
        return SFTSample(
            id=sample_id(self.cfg.dataset, self.cfg.run_id, r.seed.id, r.mode, tag),
            dataset=self.cfg.dataset,
            domain=self.cfg.domain,
            language=r.seed.language,
            mode=r.mode,
            messages=messages,
            verdicts=verdicts,
            num_tokens=r.num_tokens,
            license=r.seed.license,
            lineage=Lineage(
                parent_ids=[r.seed.id],
                source=r.seed.source,
                model="reference" if ref else r.source,
                params=params,
                seed=None if ref else self.cfg.sampling.seed,
                prompt_id=r.prompt_id,
            ),
            metadata=ResponseMeta(
                **stats.model_dump(),
                query_id=r.seed.id,
                response_source=r.source,
                response_index=r.index,
                finish_reason=r.finish_reason,
                ground_truth=r.seed.ground_truth[:500],
                correct=verdicts[0].passed,
                level=r.seed.metadata.get("level"),
            ).to_dict(),
        )


def run(kind: str, config_path: str, store: Store) -> JobReport:
    cfg = with_run_id(load_config(config_path, ReasoningJobConfig), EXECUTION_KEYS)
    if cfg.domain != kind:
        raise ConfigError(f"{config_path}: domain is {cfg.domain!r} but `generate {kind}` was asked")
    return generate(cfg, store, engine_for(cfg, store), config_path)


def engine_for(cfg: ReasoningJobConfig, store: Store):
    """The job's engine (None with engine.backend none); completions are cached in the store."""
    return make_engine(cfg.engine, default_cache_dir=store.root / "_cache" / "completions")


def generate(cfg: ReasoningJobConfig, store: Store, engine, config_path: str = "the config") -> JobReport:
    """Sample `cfg.n_responses` per query and mode with `engine` (None: references only), verify every response
    and store them as `cfg.dataset`/`cfg.run_id` (resumable): the one way verified responses are made (the
    preference stage's `source: engine` calls it too). Writes `reasoning_report.json` in the run folder."""
    from datamill.tokens import load_tokenizer

    cfg = with_run_id(cfg, EXECUTION_KEYS)
    problems, seed_errors = load_problems(cfg)
    if engine is None:
        log.info(
            f"No model configured (engine.backend: none): writing only the {len(problems)} datasets' reference "
            f"solutions, verified. Set engine.backend/model in {config_path} to sample responses."
        )
    # token counts with the model's own tokenizer when it has one here, else the project default
    gen = ReasoningGenerator(cfg, engine, getattr(engine, "tokenizer", None) or load_tokenizer())
    try:
        report = run_sharded(
            store,
            cfg.dataset,
            cfg.run_id,
            "sft",
            cfg.model_dump(),
            problems,
            gen.process,
            chunk_size=cfg.chunk_size,
            engine=engine,
        )
    finally:
        gen.checker.close()
    report.errors = seed_errors + report.errors
    summary = {
        "dataset": cfg.dataset,
        "run_id": cfg.run_id,
        "queries": len(problems),
        "engine": cfg.engine.backend,
        "model": cfg.engine.model or None,
        "rows_written": report.rows_written,
        "failed_verdict_reasons": dict(gen.reasons.most_common()),
        "reference_failed": {"count": len(gen.reference_failed), "ids": gen.reference_failed},
        "seed_errors": seed_errors,
    }
    atomic_write_text(
        store.run_dir(cfg.dataset, cfg.run_id) / "reasoning_report.json", json.dumps(summary, indent=2)
    )
    log.info(
        f"reference solutions failing their own ground truth: {len(gen.reference_failed)}"
        + (
            f" ({', '.join(gen.reference_failed[:10])}{' …' if len(gen.reference_failed) > 10 else ''})"
            if gen.reference_failed
            else ""
        )
    )
    return report
