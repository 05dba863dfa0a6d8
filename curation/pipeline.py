"""The curation pipeline as literal lists of datatrove steps, one list per stage (reads top to bottom):

filter   (tasks)     read → extract → language route → quality → edu score → PII → decontaminate → JSONL + rejects
gather   (1 task)    exact dedup + id-ordered resharding into dedup.shards files
minhash  (datatrove) signatures → buckets → clusters
write    (shards)    MinHash filter → WebDocument shards + rejects in the store
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from curation.config import CurateConfig, InputConfig, resolve_input
from curation.dedup import GatherExactDedup, minhash_config
from curation.extract import TrafilaturaExtractor
from curation.readers import HtmlFileReader, JsonlRecordReader, ParquetRecordReader, WarcRecordReader
from curation.sink import RejectSink, StoreWriter
from filters.decontam import DecontaminationFilter
from filters.edu import EduScoreFilter, LLMEduLabeler
from filters.language_router import LanguageRouterFilter
from filters.pii import PIIRedactor
from filters.quality import LanguageQualityFilter, WhitespaceWordTokenizer

READERS = {
    "warc": WarcRecordReader,
    "html": HtmlFileReader,
    "jsonl": JsonlRecordReader,
    "parquet": ParquetRecordReader,
}


@dataclass
class RunPaths:
    """Where a run keeps its intermediate files (under work_dir)."""

    work: Path

    @property
    def filtered(self) -> Path:
        return self.work / "filtered"

    @property
    def gathered(self) -> Path:
        return self.work / "gathered"

    @property
    def minhash(self) -> Path:
        return self.work / "minhash"

    @property
    def quarantine(self) -> Path:
        return self.work / "quarantine"

    def logs(self, stage: str) -> str:
        return str(self.work / "logs" / stage)


def make_reader(i: int, inp: InputConfig, cfg: CurateConfig, paths: RunPaths):
    p = resolve_input(inp.path)
    folder, glob = (str(p.parent), p.name) if p.is_file() else (str(p), inp.glob)
    source_root = str(Path(inp.path).parent) if p.is_file() else inp.path
    kw = {
        "quarantine_dir": str(paths.quarantine),
        "name": f"input{i}-{inp.format}",
        "glob": glob,
        "license": inp.license,
        "max_doc_bytes": cfg.max_doc_bytes,
        "source_root": source_root,
    }
    if inp.format in ("jsonl", "parquet"):
        kw.update(text_key=inp.text_key, url_key=inp.url_key, is_html=inp.is_html)
    return READERS[inp.format](folder, **kw)


def filter_stage(
    cfg: CurateConfig,
    store_root: str,
    run_id: str,
    paths: RunPaths,
    edu_model: str,
    decontam_index: Path | None,
) -> list:
    from datatrove.pipeline.writers import JsonlWriter

    sink = RejectSink()
    languages = list(cfg.languages.min_scores)
    return [
        *[make_reader(i, inp, cfg, paths) for i, inp in enumerate(cfg.inputs)],
        TrafilaturaExtractor(sink, id_prefix=f"{cfg.dataset}|{run_id}", favor_precision=cfg.favor_precision),
        LanguageRouterFilter(cfg.languages.min_scores, exclusion_writer=sink.view("language")),
        LanguageQualityFilter(
            languages, cfg.languages.quality_overrides, exclusion_writer=sink.view("quality")
        ),
        *(
            [LLMEduLabeler(cfg.edu.llm_engine, cache_dir=str(paths.work / "llm_cache"))]
            if cfg.edu.llm_engine
            else []
        ),
        EduScoreFilter(edu_model, cfg.edu.threshold, exclusion_writer=sink.view("edu")),
        *([PIIRedactor()] if cfg.pii else []),
        *(
            [
                DecontaminationFilter(
                    str(decontam_index), n=cfg.decontam.n, exclusion_writer=sink.view("decontam")
                )
            ]
            if decontam_index
            else []
        ),
        JsonlWriter(str(paths.filtered), output_filename="${rank}.jsonl.gz", compression="gzip"),
        StoreWriter(
            store_root, cfg.dataset, run_id, sink, reject_offset=0, write_kept=False, tokenizer=cfg.tokenizer
        ),
    ]


def gather_stage(cfg: CurateConfig, store_root: str, run_id: str, paths: RunPaths) -> list:
    return [
        GatherExactDedup(
            paths.filtered,
            paths.gathered,
            cfg.dedup.shards,
            store_root,
            cfg.dataset,
            run_id,
            exact=cfg.dedup.exact,
            tokenizer=cfg.tokenizer,
        )
    ]


def minhash_stages(cfg: CurateConfig, paths: RunPaths) -> list[tuple[str, list, int]]:
    """(stage name, steps, tasks) for MinHash signatures, buckets and clusters."""
    from datatrove.pipeline.dedup import MinhashDedupBuckets, MinhashDedupCluster, MinhashDedupSignature
    from datatrove.pipeline.readers import JsonlReader

    d = cfg.dedup
    mh = minhash_config(d.n_grams, d.num_buckets, d.hashes_per_bucket)
    gathered = JsonlReader(str(paths.gathered), glob_pattern="*.jsonl.gz")
    return [
        # shingles over space-separated words: language-agnostic, and no third spaCy pass over every document
        (
            "minhash_sigs",
            [
                gathered,
                MinhashDedupSignature(
                    str(paths.minhash / "sigs"), config=mh, language=WhitespaceWordTokenizer()
                ),
            ],
            d.shards,
        ),
        (
            "minhash_buckets",
            [MinhashDedupBuckets(str(paths.minhash / "sigs"), str(paths.minhash / "buckets"), config=mh)],
            d.num_buckets,
        ),
        (
            "minhash_cluster",
            [
                MinhashDedupCluster(
                    str(paths.minhash / "buckets"),
                    str(paths.minhash / "remove"),
                    config=mh,
                    save_cluster_id=True,
                )
            ],
            1,
        ),
    ]


def write_stage(cfg: CurateConfig, store_root: str, run_id: str, paths: RunPaths) -> list:
    from datatrove.pipeline.dedup import MinhashDedupFilter
    from datatrove.pipeline.readers import JsonlReader

    from curation.dedup import EXACT_DEDUP_PART

    sink = RejectSink()
    return [
        JsonlReader(str(paths.gathered), glob_pattern="*.jsonl.gz"),
        *(
            [
                MinhashDedupFilter(
                    str(paths.minhash / "remove"),
                    exclusion_writer=sink.view("minhash_dedup", "near_duplicate"),
                    load_cluster_ids=True,
                )
            ]
            if cfg.dedup.minhash
            else []
        ),
        StoreWriter(
            store_root, cfg.dataset, run_id, sink, reject_offset=2 * EXACT_DEDUP_PART, tokenizer=cfg.tokenizer
        ),
    ]
