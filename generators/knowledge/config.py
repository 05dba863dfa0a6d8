"""KnowledgeConfig: configs/knowledge.yaml."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from datamill.demo_data import EXAMPLES, REPO_ROOT, shared_data
from datamill.engine import EngineConfig


def resolve_data_root(choice: str) -> Path:
    """`examples` (embedded sample), `shared` (../shared/data, must exist), `auto` (shared when present)."""
    if choice == "examples":
        return EXAMPLES
    shared = shared_data()
    if choice == "shared" and shared is None:
        raise FileNotFoundError(
            "data_root: shared, but ../shared/data is not beside the checkout "
            "(set DATAMILL_SHARED_DATA or use data_root: examples)"
        )
    if choice in ("shared", "auto"):
        return shared or EXAMPLES
    p = Path(choice)
    return p if p.is_absolute() else REPO_ROOT / p


class SelectionConfig(BaseModel):
    """Which curated web documents feed QA generation (catalog rows of kind 'web' that passed curation)."""

    model_config = ConfigDict(extra="forbid")
    datasets: list[str] = Field(default_factory=list)
    """Web datasets to read; empty = every web dataset in the catalog."""
    min_edu_score: float = 0.5
    """Keep documents with edu_score ≥ this. The catalog's edu_score is P(high quality) from the DCLM-style
    classifier of filters/edu.py (0–1): 0.5 = more likely educational than not. (With FineWeb-Edu 0–5 scores
    use 3, the threshold FineWeb-Edu keeps.)"""
    languages: list[str] = Field(default_factory=lambda: ["en", "es", "ko"])
    """Document languages to use (catalog `language`)."""
    topic_keywords: list[str] = Field(default_factory=list)
    """Keep only documents whose text contains one of these (case-insensitive); empty = any topic."""
    max_documents: int = 500
    """At most this many documents (lowest ids first, so the choice is deterministic)."""
    passage_chars: int = 2000
    """Passages are consecutive paragraphs up to this many characters."""
    passages_per_document: int = 2
    """At most this many passages per document."""


class QAConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    questions_per_passage: int = 3
    """How many QA pairs the model is asked to write per passage."""
    with_context: bool = True
    """Put the passage in the user turn (grounded QA) or ask the question closed-book."""
    min_support_overlap: float = 0.6
    """SupportFilter: share of the answer's content words that must occur in the passage."""
    llm_judge: bool = False
    """Also ask the engine whether the passage supports the answer (drops 'judge_unsupported')."""
    specialised_edu_score: float = 0.8
    """Documents at or above this edu_score count as specialised (candidates for reasoning mode); same scale
    as selection.min_edu_score."""
    reasoning_fraction: float = 0.5
    """Share of hard or specialised pairs (chosen by a hash of the id) re-answered in reasoning mode."""
    temperature: float = 0.7
    """Sampling temperature for QA writing and reasoning answers."""
    max_tokens: int = 2048
    """Completion budget per call (a longer output is 'truncated' and dropped)."""
    seed: int = 0
    """Sampling seed (part of the completion cache key)."""


class XQuADConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    """Import XQuAD gold QA as seed samples."""
    files: dict[str, str] = Field(default_factory=lambda: {"en": "spanish/xquad.en.json"})
    """language → file under data_root."""
    domain: Literal["world_knowledge", "multilingual"] = "world_knowledge"
    """Domain of the imported samples."""


class KnowledgeConfig(BaseModel):
    """World-knowledge SFT: grounded QA from curated web documents + XQuAD gold seed QA."""

    model_config = ConfigDict(extra="forbid")
    engine: EngineConfig = Field(default_factory=EngineConfig)
    """The model that writes QA pairs; backend 'none' = only the parts that need no model run."""
    data_root: str = "auto"
    """examples | shared | auto (shared when present) | a path: where seed files are read from."""
    web_qa_dataset: str = "knowledge-web-qa"
    """Dataset name of the generated grounded QA."""
    xquad_dataset: str = "knowledge-xquad"
    """Dataset name of the imported XQuAD seed samples."""
    selection: SelectionConfig = Field(default_factory=SelectionConfig)
    """Which web documents to use."""
    qa: QAConfig = Field(default_factory=QAConfig)
    """QA generation and checks."""
    xquad: XQuADConfig = Field(default_factory=XQuADConfig)
    """XQuAD import."""
    tokenizer_path: str | None = None
    """HF tokenizer directory for num_tokens (default: examples/tokenizer)."""
    chunk_size: int = 64
    """Items per shard (a shard is the unit of resume)."""
