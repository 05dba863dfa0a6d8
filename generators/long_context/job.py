"""`datamill generate long-context CONFIG`: needle/QA samples (no model) + summarize/longform (engine) → store,
then the coverage report (<store>/<dataset>/<run_id>/_coverage.json and a printed table)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from datamill.config import load_config
from datamill.engine.base import SamplingParams
from datamill.ids import run_id_for
from datamill.jobs import JobReport, run_sharded
from datamill.store import Store
from datamill.tokens import load_tokenizer
from generators.long_context.config import ENGINE_TASKS, LongContextConfig, length_bucket
from generators.long_context.coverage import compute_coverage, coverage_table, write_coverage
from generators.long_context.generator import LongContextGenerator, Spec, all_depth_buckets
from generators.long_context.sources import load_web_documents
from schemas import SFTSample

log = logging.getLogger(__name__)


def make_specs(cfg: LongContextConfig, with_engine: bool) -> list[Spec]:
    """The literal list of samples to build, in a fixed order (chunk k of it is shard k)."""
    specs, k = [], 0
    for lang in cfg.languages:
        for length in cfg.lengths:
            for task in cfg.tasks:
                if task in ENGINE_TASKS:
                    if with_engine:
                        specs += [
                            Spec(lang, length, task, -1.0, i, "-") for i in range(cfg.samples_per_depth)
                        ]
                    continue
                for depth in cfg.depths.values(cfg.seed):
                    for i in range(cfg.samples_per_depth):
                        kind = (
                            cfg.needle_kinds[k % len(cfg.needle_kinds)]
                            if task in ("niah", "multi_value")
                            else "-"
                        )
                        k += 1
                        specs.append(Spec(lang, length, task, depth, i, kind))
    return specs


def make_generator(cfg, store: Store | None) -> LongContextGenerator:
    web = {}
    if cfg.web_from_catalog and store is not None:
        web = {lang: load_web_documents(store, lang) for lang in cfg.languages}
    return LongContextGenerator(
        load_tokenizer(cfg.tokenizer),
        seed=cfg.seed,
        prefer_shared=cfg.prefer_shared_data,
        web_docs=web,
        n_depth_buckets=cfg.depth_buckets,
        distractors=getattr(cfg, "distractors", 0),
        values_per_key=getattr(cfg, "values_per_key", 3),
        chain_hops=getattr(cfg, "chain_hops", 3),
        facts_per_sample=getattr(cfg, "facts_per_sample", 2),
        tokenizer_name=cfg.tokenizer or "examples/tokenizer",
    )


def run(kind: str, config_path: str, store: Store) -> JobReport:
    from datamill.engine.factory import make_engine

    cfg = load_config(config_path, LongContextConfig)
    config = cfg.model_dump(mode="json")
    run_id = cfg.run_id or run_id_for(config)
    engine = make_engine(cfg.engine, default_cache_dir=store.root / "_cache" / "completions")
    wanted = [t for t in cfg.tasks if t in ENGINE_TASKS]
    if wanted and engine is None:
        log.info(f"long-context: {', '.join(wanted)} need a model; skipped (engine.backend is 'none')")
    gen = make_generator(cfg, store)
    for lang in cfg.languages:
        web = len(gen.web_docs.get(lang) or [])
        log.info(f"long-context: {lang} haystack from {gen.root} + {web} catalog web documents")
    specs = make_specs(cfg, engine is not None)

    def process(chunk: Sequence[Spec], report: JobReport):
        out: list[SFTSample] = []
        longform = []
        for spec in chunk:
            if spec.task in ENGINE_TASKS:
                longform.append(spec)
                continue
            try:
                out.append(gen.build(spec, cfg.dataset, run_id))
            except LookupError as e:  # e.g. no real facts for Korean
                report.add_drop(str(e).strip("'"))
            except ValueError as e:
                report.add_drop("needles_do_not_fit")
                report.errors.append(f"{spec.key()}: {e}")
            except RuntimeError as e:  # the fix-up loop never returns a context of the wrong length
                report.add_drop("inexact_length")
                report.errors.append(f"{spec.key()}: {e}")
        if longform:
            out += _engine_samples(gen, engine, cfg, longform, report, run_id)
        return out

    report = run_sharded(
        store, cfg.dataset, run_id, "sft", config, specs, process, chunk_size=cfg.chunk_size, engine=engine
    )
    cov = coverage_for_run(
        store,
        cfg.dataset,
        run_id,
        [length_bucket(n) for n in cfg.lengths],
        all_depth_buckets(cfg.depth_buckets),
        list(cfg.languages),
    )
    log.info(coverage_table(cov))
    return report


def _engine_samples(
    gen, engine, cfg: LongContextConfig, specs: list[Spec], report: JobReport, run_id: str
) -> list[SFTSample]:
    """The one engine call: summaries / long-form answers over long inputs; truncated or short ones dropped."""
    prompts = [gen.build_prompt(s, cfg.summary_words) for s in specs]
    params = SamplingParams(
        temperature=0.7, max_tokens=max(1024, 3 * cfg.summary_words), seed=cfg.seed, reasoning=False
    )
    outs = engine.generate([p for p, _ in prompts], params)
    samples = []
    for spec, (prompt, ctx), comps in zip(specs, prompts, outs):
        if not comps:
            report.add_drop("no_completion")
            continue
        answer, reason = gen.parse(comps[0].text, comps[0].finish_reason, min_words=cfg.summary_words // 4)
        if answer is None:
            report.add_drop(reason)
            continue
        samples.append(
            gen.sample_from_response(spec, prompt, ctx, answer, engine.model_name, cfg.dataset, run_id)
        )
    return samples


def coverage_for_run(store: Store, dataset: str, run_id: str, lengths, buckets, languages) -> dict:
    """Read the run back (resumed shards included), count, write <store>/<dataset>/<run_id>/_coverage.json."""
    import json

    table = store.read_table(dataset, run_id)
    metas = []
    if table.num_rows:
        for lang, meta in zip(table.column("language").to_pylist(), table.column("metadata").to_pylist()):
            metas.append((lang, json.loads(meta) if isinstance(meta, str) else (meta or {})))
    cov = compute_coverage(metas, lengths, buckets, languages)
    write_coverage(cov, store.run_dir(dataset, run_id) / "_coverage.json")
    return cov
