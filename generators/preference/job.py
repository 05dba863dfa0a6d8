"""`datamill generate preference CONFIG`: preference pairs into the store (resumable, deterministic).

source: catalog — pair the responses the math/code/logic datasets already hold (every response of a query,
passed and failed, with metadata.query_id); no model needed. source: engine — the reasoning generator
(`generators.reasoning.job.generate`: the one way responses are sampled and verified) writes n_responses per
query of seed_file as `<dataset>-responses`, then they are paired.
"""

from __future__ import annotations

import logging

from datamill.config import ConfigError, load_config
from datamill.engine.base import SamplingConfig
from datamill.errors import InputError
from datamill.ids import run_id_for
from datamill.jobs import JobReport, run_sharded
from datamill.records import RecordRef, iter_records
from datamill.store import Store
from filters.language_consistency import LanguageConsistencyFilter
from generators.preference.config import PreferenceConfig
from generators.preference.pairs import build_pair, group_by_query
from generators.reasoning.config import ReasoningJobConfig
from generators.seeds import SeedSourceConfig
from schemas import SFTSample

log = logging.getLogger(__name__)


def catalog_responses(
    store: Store, cfg: PreferenceConfig, run_ids: dict[str, str] | None = None
) -> list[SFTSample]:
    """Every SFT response of the configured domains/datasets, in id order."""
    where, params = ["kind = 'sft'"], []
    if cfg.domains:
        where.append(f"domain IN ({', '.join('?' * len(cfg.domains))})")
        params += cfg.domains
    if cfg.from_datasets:
        where.append(f"dataset IN ({', '.join('?' * len(cfg.from_datasets))})")
        params += cfg.from_datasets
    for ds, rid in (run_ids or {}).items():
        where.append("(dataset <> ? OR run_id = ?)")
        params += [ds, rid]
    with store.connect(read_only=True) as con:
        rows = con.execute(
            f"""SELECT id, shard, "row", kind FROM samples WHERE {" AND ".join(where)} ORDER BY id""", params
        ).fetchall()
    return [rec for _, rec in iter_records([RecordRef(*row) for row in rows], store, "catalog")]


def make_pairs(store: Store, cfg: PreferenceConfig, responses: list[SFTSample]) -> JobReport:
    pre = JobReport(cfg.dataset, "")
    groups = list(group_by_query(responses, pre).items())
    run_id = run_id_for({"config": cfg.model_dump(mode="json"), "inputs": [r.id for r in responses]})
    lang = LanguageConsistencyFilter()

    def process(chunk, report):
        for qid, group in chunk:
            pair = build_pair(qid, group, cfg, run_id, report, lang)
            if pair is not None:
                yield pair

    report = run_sharded(
        store,
        cfg.dataset,
        run_id,
        "preference",
        cfg.model_dump(mode="json"),
        groups,
        process,
        chunk_size=cfg.chunk_size,
        parents=sorted({r.dataset for r in responses}),
    )
    for reason, n in pre.dropped.items():
        report.add_drop(reason, n)
    return report


def responses_job(cfg: PreferenceConfig) -> ReasoningJobConfig:
    """`source: engine`: the reasoning job that samples and verifies the responses to pair — the queries of
    seed_file (GSM8K-style), n_responses each in one mode, no reference solutions — into `<dataset>-responses`,
    under a run id of the preference config (datamill.ids)."""
    return ReasoningJobConfig(
        domain=cfg.kind,
        dataset=f"{cfg.dataset}-responses",
        run_id=run_id_for(cfg.model_dump(mode="json")),
        engine=cfg.engine,
        sources=[SeedSourceConfig(name="gsm8k", path=cfg.seed_file, limit=cfg.max_queries)],
        n_responses=cfg.n_responses,
        modes=["reasoning" if cfg.reasoning else "non_reasoning"],
        include_reference=False,
        chunk_size=cfg.chunk_size,
        sampling=SamplingConfig(temperature=cfg.temperature, max_tokens=cfg.max_tokens, seed=cfg.seed),
    )


def engine_responses(
    store: Store, cfg: PreferenceConfig, config_path: str = "the config"
) -> tuple[JobReport, list[SFTSample]]:
    """Responses from the reasoning generator (generators.reasoning.job.generate), then read back for pairing."""
    from datamill.engine.factory import NoEngineConfigured
    from generators.reasoning.job import engine_for, generate

    class NoEngine(NoEngineConfigured, ValueError):  # a DatamillError: the CLI prints one line, no traceback
        pass

    job = responses_job(cfg)
    engine = engine_for(job, store)
    if engine is None:
        raise NoEngine(
            "no engine is configured (engine.backend: none), so no new responses can be generated; set "
            "engine.backend (transformers | vllm | openai) or use source: catalog to pair responses already stored"
        )
    if not cfg.seed_file:
        raise ConfigError("source: engine needs seed_file (GSM8K-style JSONL of queries)")
    report = generate(job, store, engine, config_path)
    responses = catalog_responses(
        store,
        cfg.model_copy(update={"from_datasets": [job.dataset], "domains": []}),
        {job.dataset: job.run_id},
    )
    return report, responses


def run(kind: str, config_path: str, store: Store) -> list[JobReport]:
    cfg = load_config(config_path, PreferenceConfig)
    if cfg.source == "engine":
        resp_report, responses = engine_responses(store, cfg, config_path)
        return [resp_report, make_pairs(store, cfg, responses)]
    responses = catalog_responses(store, cfg)
    if not responses:
        raise InputError(
            f"{config_path}: no SFT responses in the catalog for domains {cfg.domains} "
            f"datasets {cfg.from_datasets or 'any'} (generate math/code/logic first)"
        )
    report = make_pairs(store, cfg, responses)
    if not report.rows_written and not report.parts_skipped:
        log.warning(
            f"preference: no pairs from {len(responses)} responses — a pair needs one verified-correct "
            f"and one incorrect response to the same query (metadata.query_id); with no engine configured "
            f"the math/code/logic datasets hold only reference solutions. Generate responses with a model "
            f"first (dropped: {dict(sorted(report.dropped.items()))})"
        )
    return [report]
