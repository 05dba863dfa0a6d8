"""ToolUseJobConfig: configs/tool_use.yaml."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from datamill.engine.base import EngineConfig, SamplingConfig


class BfclConfig(BaseModel):
    """Single-turn seed samples from BFCL ground truth."""

    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    """Write BFCL single-turn samples (checked against their schemas)."""
    use_shared: bool = True
    """Read ../shared/data/tools/bfcl as well when present (its files are supersets of the embedded sample)."""
    limit_per_file: int | None = Field(default=None, ge=1)
    """Cap on entries per BFCL file (None = all)."""


class ToolUseJobConfig(BaseModel):
    """Agentic tool-use SFT: executable environment trajectories + BFCL single-turn seeds."""

    model_config = ConfigDict(extra="forbid")
    dataset: str = "sft_tool_use"
    """Catalog dataset name."""
    run_id: str | None = None
    """Run id inside the dataset (default `cfg-<config hash>`, datamill.ids); re-running the same id resumes (done
    shards are skipped) and sample ids are scoped by it, so a new run id never collides with an old run."""
    engine: EngineConfig = Field(default_factory=EngineConfig)
    """The agent model. backend none = no model: the tasks' reference plans are executed instead (model 'reference')."""
    user_simulator: Literal["engine", "scripted"] = "engine"
    """With a model: simulate the user with the same engine ('engine') or replay the tasks' user turns ('scripted')."""
    environments: list[Literal["shop", "travel"]] = Field(
        default_factory=lambda: ["shop", "travel"], min_length=1
    )
    """Which executable environments' tasks to run."""
    modes: list[Literal["reasoning", "non_reasoning"]] = Field(
        default_factory=lambda: ["reasoning", "non_reasoning"], min_length=1
    )
    """Agent modes: reasoning (<think> trace per step) and/or non-reasoning (empty think block)."""
    rollouts_per_task: int = Field(default=1, ge=1)
    """Trajectories per task and mode with a model (seed + k); the reference plan is run once."""
    max_steps: int = Field(default=12, ge=1)
    """Agent steps (model outputs) per trajectory before it is cut with reason step_limit."""
    max_user_turns: int = Field(default=6, ge=1)
    """User turns per trajectory (the conversation ends after this many)."""
    sampling: SamplingConfig = Field(default_factory=SamplingConfig)
    """Sampling parameters."""
    bfcl: BfclConfig = Field(default_factory=BfclConfig)
    """BFCL single-turn seed data."""
    tokenizer: str | None = None
    """HF tokenizer directory for num_tokens (default: examples/tokenizer)."""
    chunk_size: int = Field(default=64, ge=1)
    """Work items per shard (the resume unit)."""
