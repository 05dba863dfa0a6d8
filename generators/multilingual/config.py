"""MultilingualConfig: configs/multilingual.yaml."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from datamill.engine import EngineConfig
from generators.knowledge.config import QAConfig, XQuADConfig


class ChatbotConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    """Import Korean ChatbotData Q/A pairs as non-reasoning samples."""
    file: str = "korean/ChatbotData.csv"
    """CSV under data_root (columns Q, A, label)."""
    max_pairs: int | None = None
    """At most this many pairs (file order); None = all."""


class LegalConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    """Build constitution article-lookup and bill-summarisation samples."""
    constitution: str = "korean/kolaw_constitution.txt"
    """Constitution text under data_root."""
    bills_dir: str = "korean/kobill"
    """Folder of National Assembly bill texts (*.txt) under data_root."""
    formats: list[Literal["plain", "markdown", "json", "table"]] = Field(
        default_factory=lambda: ["plain", "markdown", "json", "table"]
    )
    """Input formats the documents are rendered in (rotated per sample)."""
    engine_qa: bool = True
    """With a model: also have it write grounded QA over each chapter / bill (world-knowledge QA checks)."""
    qa: QAConfig = Field(default_factory=lambda: QAConfig(reasoning_fraction=0.0))
    """Settings of that model-written QA (support overlap, judge, reasoning share, sampling)."""
    passage_chars: int = 2000
    """Chapters and bills are cut into passages of at most this many characters."""
    passages_per_document: int = 3
    """At most this many passages per chapter / bill."""


class InstructionsConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    topics: dict[str, list[str]] = Field(default_factory=dict)
    """language → seed topics (Korean history, culture, school subjects, industry; Spanish likewise)."""
    per_topic: int = 2
    """Instructions written per topic (n samples of one prompt)."""
    mode: Literal["non_reasoning", "reasoning"] = "non_reasoning"
    """Mode of the answers."""
    temperature: float = 0.9
    """Sampling temperature for writing instructions (high: varied instructions)."""
    instruction_max_tokens: int = 512
    """Completion budget for one instruction."""
    answer_temperature: float = 0.7
    """Sampling temperature for the answers."""
    max_tokens: int = 2048
    """Completion budget for an answer; a longer output is 'truncated' and dropped."""
    seed: int = 0
    """Sampling seed (part of the completion cache key)."""


class TranslationConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    source_datasets: list[str] = Field(default_factory=list)
    """SFT datasets to translate from; empty = any dataset."""
    source_domains: list[str] = Field(default_factory=lambda: ["math", "world_knowledge"])
    """Domains of the samples to translate."""
    source_language: str = "en"
    """Language of the samples to translate."""
    max_samples: int = 200
    """At most this many source samples (lowest ids first)."""
    target_languages: list[Literal["ko", "es"]] = Field(default_factory=lambda: ["ko", "es"])
    """Languages to translate into."""
    responses: Literal["translate", "generate"] = "translate"
    """translate: the assistant answer is translated too; generate: the engine answers the translated query."""
    temperature: float = 0.2
    """Sampling temperature for translation (low: faithful)."""
    max_tokens: int = 4096
    """Completion budget per translated turn."""
    seed: int = 0
    """Sampling seed."""


class MultilingualConfig(BaseModel):
    """Korean and Spanish SFT: seed data (XQuAD es, ChatbotData, legal documents) + engine-made instructions
    and translations."""

    model_config = ConfigDict(extra="forbid")
    engine: EngineConfig = Field(default_factory=EngineConfig)
    """The model for instructions and translations; backend 'none' = only the parts that need no model run."""
    data_root: str = "auto"
    """examples | shared | auto (shared when present) | a path: where seed files are read from."""
    xquad_dataset: str = "multilingual-xquad-es"
    """Dataset name of XQuAD Spanish seed samples."""
    chatbot_dataset: str = "multilingual-chatbot-ko"
    """Dataset name of ChatbotData samples."""
    legal_dataset: str = "multilingual-legal-ko"
    """Dataset name of constitution/bill samples."""
    legal_qa_dataset: str = "multilingual-legal-qa-ko"
    """Dataset name of model-written QA over the constitution/bills."""
    instructions_dataset: str = "multilingual-instructions"
    """Dataset name of engine-written instructions + answers."""
    translations_dataset: str = "multilingual-translations"
    """Dataset name of translated samples."""
    xquad: XQuADConfig = Field(
        default_factory=lambda: XQuADConfig(files={"es": "spanish/xquad.es.json"}, domain="multilingual")
    )
    """XQuAD Spanish import."""
    chatbot: ChatbotConfig = Field(default_factory=ChatbotConfig)
    """Korean chatbot Q/A import."""
    legal: LegalConfig = Field(default_factory=LegalConfig)
    """Korean legal/administrative documents."""
    instructions: InstructionsConfig = Field(default_factory=InstructionsConfig)
    """New Korean/Spanish instructions (engine)."""
    translation: TranslationConfig = Field(default_factory=TranslationConfig)
    """Translations of selected catalog samples (engine)."""
    tokenizer_path: str | None = None
    """HF tokenizer directory for num_tokens (default: examples/tokenizer)."""
    chunk_size: int = 64
    """Engine items per shard (seed imports use 4x this)."""
