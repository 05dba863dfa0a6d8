"""ReasoningJobConfig: one YAML per domain (configs/math.yaml, code.yaml, logic.yaml)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from datamill.engine.base import EngineConfig, SamplingConfig
from generators.seeds import SeedSourceConfig


class LimitsConfig(BaseModel):
    """Bounds on work and on each check."""

    model_config = ConfigDict(extra="forbid")
    max_problems: int | None = Field(default=None, ge=1)
    """Cap on queries over all sources (after each source's own limit)."""
    math_timeout_s: float = 10.0
    """Wall-clock bound for one math-verify check (its worker is killed past it)."""
    math_workers: int = 1
    """Worker processes for math-verify."""
    code_timeout_s: float = 10.0
    """CPU-seconds bound for one sandboxed program (solution + tests); wall clock gets 3× as a backstop, so a
    loaded machine does not turn slow-but-correct programs into timeouts."""
    code_mem_mb: int = 512
    """Address-space limit for one sandboxed program."""
    code_workers: int = 2
    """Sandboxed programs run at once."""
    max_response_tokens: int = 32768
    """Length filter: longer responses are marked too_long."""


class ReasoningJobConfig(BaseModel):
    """Multi-response math / code / logic SFT generation with verification."""

    model_config = ConfigDict(extra="forbid")
    domain: Literal["math", "code", "logic"]
    """Which verifier runs; must match the `datamill generate` kind."""
    dataset: str
    """Catalog dataset name, e.g. sft_math."""
    run_id: str | None = None
    """Run id inside the dataset (default `cfg-<config hash>`, datamill.ids); re-running the same id resumes (done
    shards are skipped) and sample ids are scoped by it, so a new run id never collides with an old run."""
    engine: EngineConfig = Field(default_factory=EngineConfig)
    """The model. backend none = no model: only the datasets' reference solutions are verified and written."""
    sources: list[SeedSourceConfig] = Field(min_length=1)
    """Query sources (GSM8K, MATH, MBPP, MBPP+, HumanEval, reasoning_gym)."""
    n_responses: int = Field(default=8, ge=1)
    """Responses sampled per query and mode (EXAONE 4.0 keeps several verified responses per query)."""
    modes: list[Literal["reasoning", "non_reasoning"]] = Field(
        default_factory=lambda: ["reasoning", "non_reasoning"]
    )
    """Generate in reasoning mode (<think> trace) and/or non-reasoning mode."""
    include_reference: bool = True
    """Also verify and write each dataset's reference solution (response_source reference)."""
    sampling: SamplingConfig = Field(default_factory=SamplingConfig)
    """Sampling parameters."""
    limits: LimitsConfig = Field(default_factory=LimitsConfig)
    """Work and check bounds."""
    chunk_size: int = Field(default=64, ge=1)
    """Queries per shard (the resume unit)."""
