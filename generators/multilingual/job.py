"""`datamill generate multilingual configs/multilingual.yaml`: Korean and Spanish SFT shards.

Without a model (engine.backend: none): XQuAD Spanish gold QA, Korean ChatbotData pairs, and constitution /
bill QA and summarisation whose targets are the documents' own text. With a model, also new instructions from
seed topics and translations of selected catalog samples. What is skipped is said plainly, never faked.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from datamill.config import load_config
from datamill.engine.factory import make_engine
from datamill.ids import run_id_for, sample_id
from datamill.jobs import JobReport, run_sharded
from datamill.store import Store
from datamill.tokens import count_chat_tokens
from filters.language_consistency import LanguageConsistencyFilter
from generators.knowledge.config import resolve_data_root
from generators.knowledge.generator import GroundedQAGenerator, Passage
from generators.knowledge.job import run_xquad
from generators.knowledge.qa import split_passages
from generators.multilingual.chatbot import CHATBOT_LICENSE, ChatbotReader, ChatPair
from generators.multilingual.config import MultilingualConfig
from generators.multilingual.generator import InstructionGenerator, TopicItem, select_sources
from generators.multilingual.korean_docs import read_bill, read_constitution
from generators.multilingual.legal_tasks import LegalTask, article_tasks, bill_tasks, legal_documents
from generators.multilingual.translator import SampleTranslator, TranslationItem
from generators.sft_checks import first_failure, to_verdict
from schemas import Lineage, Message, SFTSample, Verdict

log = logging.getLogger(__name__)

MIN_TARGET_CHARS = 10  # shorter than the shortest article ("제40조 입법권은 국회에 속한다.") = a broken split


def say(msg: str) -> None:
    log.info(f"[multilingual] {msg}")


def _reference_sample(
    dataset: str,
    run_id: str,
    key: str,
    messages: list[Message],
    verdicts: list[Verdict],
    source: str,
    license: str,
    metadata: dict,
    report: JobReport,
    tokenizer: str | None,
) -> SFTSample:
    if reason := first_failure(verdicts):
        report.add_drop(reason)
    return SFTSample(
        id=sample_id(dataset, run_id, key),
        domain="multilingual",
        language="ko",
        mode="non_reasoning",
        messages=messages,
        verdicts=verdicts,
        license=license,
        metadata=metadata,
        lineage=Lineage(source=source, model="reference"),
        num_tokens=count_chat_tokens(messages, reasoning=False, tokenizer_path=tokenizer),
    )


def chatbot_samples(
    pairs: list[ChatPair],
    report: JobReport,
    dataset: str,
    run_id: str,
    source: str,
    tokenizer: str | None = None,
) -> list[SFTSample]:
    lang = LanguageConsistencyFilter()
    out = []
    for p in pairs:
        v = [
            to_verdict("language_consistency", lang.filter(f"{p.question}\n{p.answer}", "ko"), expected="ko")
        ]
        msgs = [Message(role="user", content=p.question), Message(role="assistant", content=p.answer)]
        out.append(
            _reference_sample(
                dataset,
                run_id,
                f"chatbot:{p.row}",
                msgs,
                v,
                f"{source}:{p.row + 1}",
                CHATBOT_LICENSE,
                {"label": p.label, "row": p.row},
                report,
                tokenizer,
            )
        )
    return out


def legal_samples(
    tasks: list[LegalTask], report: JobReport, dataset: str, run_id: str, tokenizer: str | None = None
) -> list[SFTSample]:
    lang = LanguageConsistencyFilter()
    out = []
    for t in tasks:
        ok_len = len(t.target) >= MIN_TARGET_CHARS
        v = [
            Verdict(verifier="target_length", passed=ok_len, reason="" if ok_len else "short_target"),
            to_verdict("language_consistency", lang.filter(t.target, "ko"), expected="ko"),
        ]
        msgs = [Message(role="user", content=t.user), Message(role="assistant", content=t.target)]
        out.append(
            _reference_sample(
                dataset,
                run_id,
                t.key,
                msgs,
                v,
                t.source,
                t.license,
                {"task": t.task, "format": t.fmt, **t.metadata},
                report,
                tokenizer,
            )
        )
    return out


def _seed_job(store, cfg, dataset, part, items, fn, **kw) -> JobReport:
    run_id = run_id_for(part)
    return run_sharded(
        store,
        dataset,
        run_id,
        "sft",
        part,
        items,
        lambda chunk, rep: fn(list(chunk), rep, dataset, run_id, tokenizer=cfg.tokenizer_path, **kw),
        chunk_size=cfg.chunk_size * 4,
    )


def run_seed_parts(store: Store, cfg: MultilingualConfig) -> list[JobReport]:
    root = resolve_data_root(cfg.data_root)
    reports = []
    if cfg.xquad.enabled:
        reports.append(
            run_xquad(
                store,
                cfg.xquad,
                cfg.xquad_dataset,
                cfg.data_root,
                cfg.tokenizer_path,
                cfg.chunk_size * 4,
                log=say,
            )
        )
    if cfg.chatbot.enabled:
        reader = ChatbotReader(root / cfg.chatbot.file)
        pairs = reader.read()[: cfg.chatbot.max_pairs]
        part = {"data_root": str(root), "chatbot": cfg.chatbot.model_dump(), "tokenizer": cfg.tokenizer_path}
        rep = _seed_job(
            store, cfg, cfg.chatbot_dataset, part, pairs, chatbot_samples, source=cfg.chatbot.file
        )
        rep.errors += reader.errors
        say(
            f"ChatbotData: {len(pairs)} Korean Q/A pairs ({len(reader.errors)} malformed rows skipped) → {rep.summary()}"
        )
        reports.append(rep)
    if cfg.legal.enabled:
        formats = tuple(cfg.legal.formats)
        tasks = article_tasks(
            read_constitution(root / cfg.legal.constitution), cfg.legal.constitution, formats
        )
        bill_dir = root / cfg.legal.bills_dir
        bills = [read_bill(p) for p in sorted(Path(bill_dir).glob("*.txt"))]
        tasks += bill_tasks(bills, cfg.legal.bills_dir, formats)
        part = {
            "data_root": str(root),
            "legal": cfg.legal.model_dump(include={"constitution", "bills_dir", "formats"}),
            "tokenizer": cfg.tokenizer_path,
        }
        rep = _seed_job(store, cfg, cfg.legal_dataset, part, tasks, legal_samples)
        say(
            f"Korean legal: {sum(t.task == 'article_lookup' for t in tasks)} constitution article lookups + "
            f"{len(bills)} bill summaries in formats {list(formats)} → {rep.summary()}"
        )
        reports.append(rep)
    return reports


def run_legal_qa(store: Store, cfg: MultilingualConfig, engine, model: dict) -> JobReport:
    """Model-written QA over each constitution chapter and bill, with the world-knowledge QA checks."""
    root, lc = resolve_data_root(cfg.data_root), cfg.legal
    bills = [read_bill(p) for p in sorted((root / lc.bills_dir).glob("*.txt"))]
    docs = legal_documents(read_constitution(root / lc.constitution), bills, lc.constitution, lc.bills_dir)
    passages = [
        Passage(d, i, text)
        for d in docs
        for i, text in enumerate(split_passages(d.text, lc.passage_chars)[: lc.passages_per_document])
    ]
    part = {**model, "data_root": str(root), "legal": lc.model_dump()}
    run_id = run_id_for(part)
    gen = GroundedQAGenerator(
        engine, lc.qa, cfg.legal_qa_dataset, run_id, cfg.tokenizer_path, domain="multilingual"
    )
    rep = run_sharded(
        store,
        cfg.legal_qa_dataset,
        run_id,
        "sft",
        part,
        passages,
        lambda chunk, r: gen.process(list(chunk), r),
        chunk_size=cfg.chunk_size,
        engine=engine,
    )
    say(
        f"model-written QA over {len(docs)} Korean legal documents ({len(passages)} passages): {rep.summary()}"
    )
    return rep


def run(kind: str, config_path: str, store: Store) -> list[JobReport]:
    cfg = load_config(config_path, MultilingualConfig)
    reports = run_seed_parts(store, cfg)
    engine = make_engine(cfg.engine, default_cache_dir=store.root / "_cache" / "completions")
    topics = [TopicItem(lang, t) for lang, ts in sorted(cfg.instructions.topics.items()) for t in ts]
    sources = select_sources(store, cfg.translation)
    items = [TranslationItem(s, lang) for s in sources for lang in cfg.translation.target_languages]
    if engine is None:
        if cfg.legal.enabled and cfg.legal.engine_qa:
            say("SKIPPED model-written QA over the Korean legal documents: no model is configured.")
        say(
            f"SKIPPED new instructions: no model is configured (engine.backend: none); {len(topics)} seed topics "
            f"({', '.join(f'{k}: {len(v)}' for k, v in sorted(cfg.instructions.topics.items()))}) are waiting."
        )
        say(
            f"SKIPPED translations: no model is configured; {len(sources)} catalog samples "
            f"({cfg.translation.source_language}, domains {cfg.translation.source_domains}) would be translated "
            f"into {cfg.translation.target_languages}."
        )
        return reports
    model = {"engine": cfg.engine.model_dump(), "tokenizer": cfg.tokenizer_path}
    if cfg.legal.enabled and cfg.legal.engine_qa:
        reports.append(run_legal_qa(store, cfg, engine, model))
    if topics:
        part = {**model, "instructions": cfg.instructions.model_dump()}
        run_id = run_id_for(part)
        gen = InstructionGenerator(
            engine, cfg.instructions, cfg.instructions_dataset, run_id, cfg.tokenizer_path
        )
        rep = run_sharded(
            store,
            cfg.instructions_dataset,
            run_id,
            "sft",
            part,
            topics,
            lambda chunk, r: gen.process(list(chunk), r),
            chunk_size=cfg.chunk_size,
            engine=engine,
        )
        say(f"instructions from {len(topics)} topics: {rep.summary()}")
        reports.append(rep)
    if items:
        part = {
            **model,
            "translation": cfg.translation.model_dump(),
            "sources_sha256": hashlib.sha256("\n".join(s.id for s in sources).encode()).hexdigest(),
        }
        run_id = run_id_for(part)
        tr = SampleTranslator(engine, cfg.translation, cfg.translations_dataset, run_id, cfg.tokenizer_path)
        rep = run_sharded(
            store,
            cfg.translations_dataset,
            run_id,
            "sft",
            part,
            items,
            lambda chunk, r: tr.process(list(chunk), r),
            chunk_size=cfg.chunk_size,
            engine=engine,
        )
        say(
            f"translations of {len(sources)} samples into {cfg.translation.target_languages}: {rep.summary()}"
        )
        reports.append(rep)
    else:
        say("no catalog samples to translate (run the math / knowledge generators first)")
    return reports
