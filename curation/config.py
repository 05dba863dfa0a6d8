"""CurateConfig: everything `datamill curate CONFIG.yaml` needs (YAML in configs/curate*.yaml)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from filters.language_router import DEFAULT_MIN_SCORES


class InputConfig(BaseModel):
    """One input: a directory (or a single file) of one format."""

    model_config = ConfigDict(extra="forbid")
    path: str
    """Directory or file; a relative path is looked up in the working directory, then in the repository root
    (so configs/curate_demo.yaml works from anywhere). Sources keep the path as written here."""
    format: Literal["warc", "html", "jsonl", "parquet"]
    """warc (gz or not), html (files, .html.gz too), jsonl (gz or not), parquet."""
    glob: str | None = None
    """Only files matching this pattern (relative to `path`), e.g. "*.html"."""
    license: str = ""
    """Licence recorded on every document from this input (WebDocument.license)."""
    text_key: str = "text"
    """jsonl/parquet: field holding the text (or HTML when `is_html`)."""
    url_key: str = "url"
    """jsonl/parquet: field holding the URL, when there is one."""
    is_html: bool = False
    """jsonl/parquet: the text field is HTML that must be extracted."""


def resolve_input(path: str) -> Path:
    from datamill.demo_data import REPO_ROOT

    p = Path(path)
    if p.is_absolute() or p.exists() or not (REPO_ROOT / p).exists():
        return p
    return REPO_ROOT / p


class LanguageConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    min_scores: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_MIN_SCORES))
    """Allowed languages → minimum fastText lid.176 probability (FineWeb: 0.65)."""
    quality_overrides: dict[str, dict[str, dict[str, Any]]] = Field(default_factory=dict)
    """{lang: {gopher_quality|gopher_repetition|c4|fineweb: {kwarg: value}}} over filters/quality.py defaults."""


class EduConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    model_path: str | None = None
    """fastText model from `datamill train-classifier`; None → curation/models/edu_fasttext.ftz (trained on first use)."""
    threshold: float = 0.0
    """Keep documents with P(high quality) >= threshold (0 = score only)."""
    llm_engine: dict[str, Any] | None = None
    """Optional datamill.engine EngineConfig: adds FineWeb-Edu 0–5 LLM labels (metadata.edu_llm_score)."""


class DedupConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    exact: bool = True
    """Drop exact duplicates (normalised text hash), keeping the smallest document id."""
    minhash: bool = True
    """datatrove MinHash near-duplicate stages (FineWeb settings: 5-grams, 14 buckets x 8 hashes)."""
    shards: int = Field(default=2, ge=1)
    """Fixed number of dedup/output shards: output is identical for any `tasks` (DESIGN.md determinism)."""
    workers: int = Field(default=1, ge=1)
    """Tasks run at once in the dedup/write stages (local executor; 1 = in-process, no worker start-up cost)."""
    n_grams: int = 5
    num_buckets: int = 14
    hashes_per_bucket: int = 8


class DecontamConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    benchmarks: list[str] = Field(default_factory=lambda: ["gsm8k", "math", "humaneval", "mbpp", "bfcl"])
    """Names from filters/benchmarks.py BENCHMARKS."""
    extra_files: dict[str, str] = Field(default_factory=dict)
    """More benchmarks: name → JSON/JSONL file (all string fields are used)."""
    data_roots: list[str] | None = None
    """Where benchmark files are looked up; None → examples/data and ../shared/data when present."""
    n: int = 13
    """n-gram size (GPT-3 §C)."""


class SlurmConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    partition: str = "cpu"
    time: str = "04:00:00"
    cpus_per_task: int = 1
    mem_per_cpu_gb: int = 2
    qos: str | None = None
    """#SBATCH --qos; None → no --qos line (the cluster's default QOS)."""
    sbatch_args: dict[str, str] = Field(default_factory=dict)
    """Extra #SBATCH options, e.g. {account: myproj}."""
    wait: bool = False
    """Wait for the jobs (squeue) and print the report; False → return after submitting, and a later
    `datamill curate` of the same config collects the report (curation/slurm_run.py)."""
    poll_seconds: float = Field(default=60.0, gt=0)
    """With `wait`: seconds between squeue checks."""


class CurateConfig(BaseModel):
    """A web curation run. The run id is cfg-<hash10> of this config, so a re-run resumes."""

    model_config = ConfigDict(extra="forbid")
    dataset: str = "web"
    """Output dataset; rejected documents go to "<dataset>.rejected"."""
    inputs: list[InputConfig] = Field(min_length=1)
    executor: Literal["local", "ray", "slurm"] = "local"
    tasks: int = Field(default=2, ge=1)
    """datatrove tasks of the extraction/filter stage (input files are split among them)."""
    workers: int = Field(default=2, ge=1)
    """Tasks run at once (local executor)."""
    max_doc_bytes: int = 10_000_000
    """Larger documents/records are quarantined (reason too_large) instead of parsed."""
    favor_precision: bool = True
    """True: the chosen extraction (curation/extract.py: trafilatura 2 in precision mode checked against
    resiliparse, JSON-LD, boilerplate-line rules); False: plain trafilatura 2 `favor_recall` (for comparison)."""
    pii: bool = True
    languages: LanguageConfig = Field(default_factory=LanguageConfig)
    edu: EduConfig = Field(default_factory=EduConfig)
    dedup: DedupConfig = Field(default_factory=DedupConfig)
    decontam: DecontamConfig = Field(default_factory=DecontamConfig)
    slurm: SlurmConfig = Field(default_factory=SlurmConfig)
    tokenizer: str | None = None
    """Tokenizer directory for num_tokens (datamill.tokens; default examples/tokenizer)."""
    work_dir: str | None = None
    """Intermediate files + datatrove logs; default <store>/_work/curate/<dataset>/<run_id>."""

    @field_validator("dataset")
    @classmethod
    def _plain_name(cls, v: str) -> str:
        if not v or "/" in v or v.endswith(".rejected"):
            raise ValueError("dataset must be a plain name (no '/', not ending in .rejected)")
        return v
