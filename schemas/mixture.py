"""MixtureSpec: what goes into a training run, by token budget, reproducibly (YAML → DuckDB selection)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class SampleFilter(BaseModel):
    """Predicates over catalog `samples` columns; every given field must hold (AND)."""

    model_config = ConfigDict(extra="forbid")
    dataset: list[str] = Field(default_factory=list)
    run_id: list[str] = Field(default_factory=list)
    kind: list[Literal["sft", "web", "preference"]] = Field(default_factory=list)
    domain: list[str] = Field(default_factory=list)
    language: list[str] = Field(default_factory=list)
    mode: list[Literal["reasoning", "non_reasoning"]] = Field(default_factory=list)
    passed: bool | None = None  # all verdicts passed
    min_scores: dict[str, float] = Field(default_factory=dict)  # score name → minimum
    min_tokens: int | None = None
    max_tokens: int | None = None


class MixtureComponent(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1)
    select: SampleFilter = Field(default_factory=SampleFilter)
    token_budget: int | None = Field(default=None, gt=0)  # tokens wanted from this component
    weight: float | None = Field(default=None, gt=0)  # share of MixtureSpec.total_tokens instead of a budget
    epochs: float = Field(default=1.0, gt=0)  # > 1 upsamples (repeats) the selection
    role: Literal["sft", "long_document", "rehearsal", "synthetic_reasoning"] = "sft"

    @model_validator(mode="after")
    def _budget_or_weight(self):
        if self.token_budget is None and self.weight is None:
            raise ValueError(f"component {self.name!r} needs token_budget or weight")
        return self


class MixtureSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    schema_version: int = 1
    name: str = Field(min_length=1)
    seed: int = 0
    components: list[MixtureComponent] = Field(min_length=1)
    total_tokens: int | None = Field(default=None, gt=0)  # needed when components use weights
    # EXAONE 4.0 §SFT: Reasoning:Non-reasoning token ratio 1.5:1 in unified training. None = unconstrained.
    reasoning_ratio: float | None = 1.5
    language_shares: dict[str, float] = Field(default_factory=dict)  # e.g. {"ko": 0.2}: share of tokens
    max_tokens_per_sample: int | None = None
    exclude_rejected: bool = True  # drop samples whose latest audit decision is "reject"
    exclude_contaminated: bool = True  # drop decontamination hits
    stage_length: int | None = None  # context-extension stage length (e.g. 32768), packs long documents whole
    tolerance: float = 0.01  # budgets and ratio must be met within this fraction

    @model_validator(mode="after")
    def _weights_need_total(self):
        if any(c.weight is not None and c.token_budget is None for c in self.components) and not self.total_tokens:
            raise ValueError("components with weight need MixtureSpec.total_tokens")
        names = [c.name for c in self.components]
        if len(set(names)) != len(names):
            raise ValueError(f"component names must be unique: {names}")
        return self
