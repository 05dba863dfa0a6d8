"""Configs for the long-context SFT builder (`datamill generate long-context`) and the NIAH grid (`datamill niah`)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from datamill.engine.base import EngineConfig

# RULER's lengths (Hsieh et al. 2024); "K" = 1024 tokens
STANDARD_LENGTHS = {"4K": 4096, "8K": 8192, "16K": 16384, "32K": 32768, "64K": 65536, "128K": 131072}
TASKS = ("niah", "multi_value", "chain", "fact", "summarize", "longform")
ENGINE_TASKS = ("summarize", "longform")


def parse_length(v: int | str) -> int:
    """4096, "4K", "128k" or "3000" → tokens."""
    if isinstance(v, int):
        return v
    s = str(v).strip().upper()
    try:
        return int(float(s[:-1]) * 1024) if s.endswith("K") else int(s)
    except ValueError:
        raise ValueError(f"bad length {v!r}: use tokens (4096) or a K size ('4K')") from None


def length_bucket(n: int) -> str:
    return f"{n // 1024}K" if n % 1024 == 0 else str(n)


class DepthSpec(BaseModel):
    """Where the primary needle goes."""

    model_config = ConfigDict(extra="forbid")
    mode: Literal["grid", "random"] = "grid"
    """grid: `count` evenly spaced percentages from 0 to 100 (RULER uses 40); random: `count` uniform draws."""
    count: int = Field(default=10, ge=1)
    """How many depths per (length, language, task)."""

    def values(self, seed: int) -> list[float]:
        import random

        if self.mode == "random":
            rng = random.Random(f"depths|{seed}")
            return sorted(round(rng.uniform(0, 100), 2) for _ in range(self.count))
        if self.count == 1:
            return [50.0]
        return [round(100.0 * i / (self.count - 1), 2) for i in range(self.count)]


class _Common(BaseModel):
    model_config = ConfigDict(extra="forbid")
    seed: int = 0
    """Every sample's rng derives from (seed, language, length, task, depth, index): same seed, same data."""
    tokenizer: str | None = None
    """HF tokenizer directory that defines "a token"; default examples/tokenizer."""
    lengths: list[int | str] = Field(default_factory=lambda: ["4K", "8K", "16K", "32K", "64K", "128K"])
    """Target context lengths in tokens (4096 or "4K"; custom values allowed)."""
    languages: list[Literal["en", "ko", "es"]] = Field(default_factory=lambda: ["en", "ko", "es"])
    """Haystack + needle language: en = Paul Graham essays, ko = constitution + bills, es = XQuAD paragraphs."""
    depths: DepthSpec = Field(default_factory=DepthSpec)
    """Depth grid for the primary needle."""
    depth_buckets: int = Field(default=5, ge=1, le=100)
    """Coverage/heatmap buckets over 0–100 % (5 → 0–20 %, 20–40 %, …)."""
    prefer_shared_data: bool = True
    """Use ../shared/data (49 essays, full XQuAD) when present, else examples/data."""
    web_from_catalog: bool = True
    """Add curated web documents (kind 'web', passed) of each language from the store's catalog."""
    engine: EngineConfig = Field(default_factory=EngineConfig)
    """Model for summarize/longform (long-context) or for answering (niah); backend 'none' = no model."""

    @field_validator("lengths")
    @classmethod
    def _lengths(cls, v):
        out = [parse_length(x) for x in v]
        if not out or min(out) < 64:
            raise ValueError("lengths must be non-empty and each ≥ 64 tokens")
        return out


class LongContextConfig(_Common):
    """`datamill generate long-context CONFIG`."""

    dataset: str = "long_context"
    """Dataset name in the store."""
    run_id: str | None = None
    """Default cfg-<config hash>: re-running the same config resumes the same run."""
    tasks: list[Literal["niah", "multi_value", "chain", "fact", "summarize", "longform"]] = Field(
        default_factory=lambda: ["niah", "multi_value", "chain", "fact"]
    )
    """niah: one key/value; multi_value: one key, several dispersed values; chain: multi-hop VAR chain;
    fact: real XQuAD facts from another document (en/es); summarize/longform need an engine."""
    needle_kinds: list[Literal["number", "word", "uuid"]] = Field(
        default_factory=lambda: ["number", "word", "uuid"]
    )
    """Value kinds, cycled over samples."""
    samples_per_depth: int = Field(default=1, ge=1)
    """Samples per (language, length, task, depth)."""
    values_per_key: int = Field(default=3, ge=2)
    """multi_value: needles per key (all must be found)."""
    chain_hops: int = Field(default=3, ge=2)
    """chain: variables in the chain."""
    facts_per_sample: int = Field(default=2, ge=1)
    """fact: real facts (questions) per sample."""
    distractors: int = Field(default=2, ge=0)
    """Distractor needles (other keys) per needle sample."""
    chunk_size: int = Field(default=16, ge=1)
    """Samples per shard (resume granularity)."""
    summary_words: int = Field(default=200, ge=20)
    """summarize: target summary length in words."""


class NiahConfig(_Common):
    """`datamill niah CONFIG`: eval set over length × depth, scored per cell."""

    out: str = "niah_out"
    """Directory for niah_eval.jsonl, niah_answers.jsonl and niah_grid.json."""
    needle_kind: Literal["number", "word", "uuid"] = "number"
    """RULER's default single-needle task uses 7-digit numbers."""
    samples_per_cell: int = Field(default=1, ge=1)
    """Samples per (length, depth, language)."""
    distractors: int = Field(default=0, ge=0)
    """Distractor needles per sample (RULER multikey)."""
    threshold: float = Field(default=0.9, ge=0.0, le=1.0)
    """A cell is green when its mean score ≥ threshold (DESIGN: NIAH grid all green)."""
    answers: str | None = None
    """JSONL of {"id", "answer"} to score offline instead of running a model."""
    max_new_tokens: int = Field(default=64, ge=1)
    """Answer budget when an engine runs the set."""
