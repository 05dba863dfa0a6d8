"""MixtureSpec: what goes into a training run, by token budget, reproducibly (YAML → DuckDB selection).

A spec lists components (predicates over catalog `samples` columns + a token budget or weight), global
constraints (EXAONE 4.0 reasoning:non-reasoning token ratio, language shares, max tokens per sample, audit and
decontamination exclusions) and a seed. A context-extension stage spec (K-EXAONE notes) sets `stage_length`
and uses the roles long_document / rehearsal / synthetic_reasoning with per-stage weights.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class SampleFilter(BaseModel):
    """Predicates over catalog `samples` columns; every given field must hold (AND), list fields mean "any of"."""

    model_config = ConfigDict(extra="forbid")
    dataset: list[str] = Field(default_factory=list)
    run_id: list[str] = Field(default_factory=list)  # dataset version: the run that produced the shards
    kind: list[Literal["sft", "web", "preference"]] = Field(default_factory=list)
    domain: list[str] = Field(default_factory=list)
    language: list[str] = Field(default_factory=list)
    mode: list[Literal["reasoning", "non_reasoning"]] = Field(default_factory=list)
    passed: bool | None = None  # all verdicts passed
    min_scores: dict[str, float] = Field(default_factory=dict)  # score name → minimum
    min_edu_score: float | None = None  # FineWeb-Edu style 0–5 educational value
    min_tokens: int | None = None
    max_tokens: int | None = None
    # verifier names whose verdict must be present and passed (e.g. ["math_verify"])
    verifiers_passed: list[str] = Field(default_factory=list)
    # latest audit decision must be one of these ("none" = never audited); empty = any
    audit: list[Literal["accept", "flag", "none"]] = Field(default_factory=list)


class MixtureComponent(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1)
    select: SampleFilter = Field(default_factory=SampleFilter)
    token_budget: int | None = Field(default=None, gt=0)  # tokens wanted from this component (repeats included)
    weight: float | None = Field(default=None, gt=0)  # share of MixtureSpec.total_tokens instead of a budget
    epochs: float = Field(default=1.0, gt=0)  # > 1 upsamples (repeats) the selection
    upsample: bool = False  # when the data is short of the budget, repeat what exists to reach it
    role: Literal["sft", "long_document", "rehearsal", "synthetic_reasoning"] = "sft"
    # None = MixtureSpec.exclude_contaminated; false keeps benchmark-derived samples (e.g. BFCL seeds) in this
    # component only, for a model that is not scored on that benchmark
    exclude_contaminated: bool | None = None

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
    reasoning_ratio: float | None = Field(default=1.5, gt=0)
    # when data is short and budgets and ratio cannot both hold, trim the over-full mode so the ratio holds
    ratio_priority: bool = True
    language_shares: dict[str, float] = Field(default_factory=dict)  # e.g. {"ko": 0.2}: share of tokens
    max_tokens_per_sample: int | None = Field(default=None, gt=0)
    exclude_rejected: bool = True  # drop samples whose latest audit decision is "reject"
    exclude_contaminated: bool = True  # drop decontamination hits
    # only samples of each dataset's latest complete run (a re-generated dataset does not count twice)
    latest_run_only: bool = False
    stage_length: int | None = Field(default=None, gt=0)  # context-extension stage length; packs long docs whole
    tolerance: float = Field(default=0.01, gt=0, lt=1)  # budgets and ratio must be met within this fraction
    on_shortfall: Literal["warn", "error"] = "warn"  # a budget that cannot be met: warning or error

    @model_validator(mode="after")
    def _weights_need_total(self):
        if any(c.weight is not None and c.token_budget is None for c in self.components) and not self.total_tokens:
            raise ValueError("components with weight need MixtureSpec.total_tokens")
        names = [c.name for c in self.components]
        if len(set(names)) != len(names):
            raise ValueError(f"component names must be unique: {names}")
        if sum(self.language_shares.values()) > 1.0 + 1e-9 or any(v < 0 for v in self.language_shares.values()):
            raise ValueError(f"language_shares must be non-negative and sum to at most 1: {self.language_shares}")
        if any(c.role == "long_document" for c in self.components) and not self.stage_length:
            raise ValueError("a long_document component needs MixtureSpec.stage_length (documents are packed whole)")
        return self

    def budget(self, c: MixtureComponent) -> int:
        """Tokens asked of a component (its token_budget, else weight × total_tokens)."""
        if c.token_budget is not None:
            return c.token_budget
        return round(c.weight * self.total_tokens)  # type: ignore[operator]
