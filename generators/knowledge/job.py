"""`datamill generate knowledge configs/knowledge.yaml`: XQuAD seed QA + grounded web QA → SFT shards.

With `engine.backend: none` only the parts that need no model run (XQuAD gold QA); the job says plainly what it
skipped and how many web documents would have been used.
"""

from __future__ import annotations

import hashlib
import logging
from functools import partial

from datamill.config import load_config
from datamill.engine.factory import make_engine
from datamill.ids import run_id_for
from datamill.jobs import JobReport, run_sharded
from datamill.store import Store
from generators.knowledge.config import KnowledgeConfig, XQuADConfig, resolve_data_root
from generators.knowledge.generator import GroundedQAGenerator, Passage
from generators.knowledge.qa import split_passages
from generators.knowledge.selection import select_documents
from generators.knowledge.xquad import XQuADReader, import_xquad

log = logging.getLogger(__name__)


def say(msg: str) -> None:
    log.info(f"[knowledge] {msg}")


def run_xquad(
    store: Store,
    xcfg: XQuADConfig,
    dataset: str,
    data_root: str,
    tokenizer_path: str | None,
    chunk_size: int,
    log=say,
) -> JobReport:
    """Import XQuAD gold QA (no model) as seed samples; used by the knowledge (en) and multilingual (es) jobs."""
    root = resolve_data_root(data_root)
    items, errors = [], []
    for lang, rel in sorted(xcfg.files.items()):
        reader = XQuADReader(root / rel, lang)
        items += reader.read()
        errors += reader.errors
    part = {"data_root": str(root), "xquad": xcfg.model_dump(), "tokenizer": tokenizer_path}
    run_id = run_id_for(part)
    process = partial(
        import_xquad, dataset=dataset, run_id=run_id, domain=xcfg.domain, tokenizer_path=tokenizer_path
    )
    report = run_sharded(
        store,
        dataset,
        run_id,
        "sft",
        part,
        items,
        lambda chunk, rep: process(list(chunk), rep),
        chunk_size=chunk_size,
    )
    report.errors += errors
    for e in errors:
        log(f"skipped {e}")
    log(f"XQuAD {'+'.join(sorted(xcfg.files))}: {len(items)} gold QA from {root} → {report.summary()}")
    return report


def web_passages(store: Store, cfg: KnowledgeConfig) -> list[Passage]:
    docs = select_documents(store, cfg.selection)
    passages = []
    for d in docs:
        for i, text in enumerate(
            split_passages(d.text, cfg.selection.passage_chars)[: cfg.selection.passages_per_document]
        ):
            passages.append(Passage(d, i, text))
    return passages


def run(kind: str, config_path: str, store: Store) -> list[JobReport]:
    cfg = load_config(config_path, KnowledgeConfig)
    reports = []
    if cfg.xquad.enabled:
        reports.append(
            run_xquad(
                store, cfg.xquad, cfg.xquad_dataset, cfg.data_root, cfg.tokenizer_path, cfg.chunk_size * 4
            )
        )
    engine = make_engine(cfg.engine, default_cache_dir=store.root / "_cache" / "completions")
    passages = web_passages(store, cfg)
    n_docs = len({p.doc.id for p in passages})
    if engine is None:
        say(
            f"SKIPPED grounded web QA: no model is configured (engine.backend: none). {n_docs} curated web "
            f"documents ({len(passages)} passages) qualify (edu_score ≥ {cfg.selection.min_edu_score}, "
            f"languages {cfg.selection.languages}); set engine.backend to generate QA from them."
        )
        return reports
    if not passages:
        say(
            f"no curated web documents qualify (edu_score ≥ {cfg.selection.min_edu_score}, languages "
            f"{cfg.selection.languages}, keywords {cfg.selection.topic_keywords}); run `datamill curate` first"
        )
        return reports
    part = {
        "engine": cfg.engine.model_dump(),
        "selection": cfg.selection.model_dump(),
        "qa": cfg.qa.model_dump(),
        "tokenizer": cfg.tokenizer_path,
        "passages_sha256": hashlib.sha256("\n".join(p.key for p in passages).encode()).hexdigest(),
    }
    run_id = run_id_for(part)
    gen = GroundedQAGenerator(engine, cfg.qa, cfg.web_qa_dataset, run_id, cfg.tokenizer_path)
    report = run_sharded(
        store,
        cfg.web_qa_dataset,
        run_id,
        "sft",
        part,
        passages,
        lambda chunk, rep: gen.process(list(chunk), rep),
        chunk_size=cfg.chunk_size,
        engine=engine,
    )
    say(f"grounded web QA from {n_docs} documents: {report.summary()}")
    return [*reports, report]
