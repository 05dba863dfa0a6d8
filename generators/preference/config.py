"""PreferenceConfig: where responses come from and how the hybrid reward weighs them."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from datamill.engine import EngineConfig


class RewardWeights(BaseModel):
    """Hybrid reward = weighted mean of the parts that are present (EXAONE 4.0: verifiable + preference +
    language consistency + conciseness)."""

    model_config = ConfigDict(extra="forbid")
    correct: float = Field(1.0, ge=0)  # verifiable correctness (the response's verdicts all passed)
    conciseness: float = Field(0.2, ge=0)  # shortest response in the group / this response's length
    language: float = Field(0.3, ge=0)  # answer written in the query's language (LanguageConsistencyFilter)
    judge: float = Field(0.0, ge=0)  # judge / reward-model score in [0, 1] from the sample's scores map


class PreferenceConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    dataset: str = "preference"
    """Output dataset name in the store."""
    source: Literal["catalog", "engine"] = "catalog"
    """catalog: pair responses already stored (every response of a query, passed and failed, with
    metadata.query_id); engine: generate n_responses per query first (needs engine.backend != none)."""
    from_datasets: list[str] = Field(default_factory=list)
    """catalog source: datasets to read responses from (empty = every SFT dataset)."""
    domains: list[str] = Field(default_factory=lambda: ["math", "code", "logic"])
    """catalog source: domains whose responses are paired."""
    min_responses: int = Field(2, ge=2)
    """A query with fewer stored responses is skipped (counted as too_few_responses)."""
    engine: EngineConfig = Field(default_factory=EngineConfig)
    """engine source: the model (backend none = no model configured; the job says so and stops)."""
    kind: Literal["math"] = "math"
    """engine source: problem type: the reasoning generator's domain (its verifier and checks)."""
    seed_file: str | None = None
    """engine source: GSM8K-style JSONL ({question, answer "… #### x"}) of queries, read as a gsm8k seed source
    (a relative path is from the repository root; a bad line is reported as file:line and skipped)."""
    max_queries: int = Field(50, gt=0)
    """engine source: queries taken from seed_file (in file order)."""
    n_responses: int = Field(8, ge=4, le=16)
    """engine source: on-policy responses per query (EXAONE 4.0: 4–16)."""
    temperature: float = Field(1.0, ge=0)
    """engine source: sampling temperature (diverse responses)."""
    max_tokens: int = Field(2048, gt=0)
    """engine source: response length cap."""
    reasoning: bool = True
    """engine source: generate in reasoning mode (<think>)."""
    weights: RewardWeights = Field(default_factory=RewardWeights)
    """Weights of the hybrid reward's parts."""
    selection: Literal["shortest_correct", "max_reward"] = "shortest_correct"
    """shortest_correct (EXAONE 4.0 stage 1): chosen = shortest correct, language-consistent response;
    rejected = lowest reward among the incorrect ones. max_reward: highest vs lowest hybrid reward."""
    min_margin: float = Field(0.1, ge=0)
    """max_reward: skip a query whose best and worst rewards differ by less than this."""
    judge_score_key: str = "judge"
    """Key in a response's scores map used as the judge / reward-model score (absent = not used)."""
    seed: int = 0
    """Sampling seed; pair ids and selection are deterministic in the inputs."""
    chunk_size: int = Field(64, gt=0)
    """Queries per shard."""
