"""ResponseMeta: what the math / code / logic generator records about one verified response, in
`SFTSample.metadata`. Written by `generators.reasoning`, read by the preference builder (pairs by query), the
verification dashboard (per-query pass rates, in SQL over the metadata JSON) and mixtures.

The keys are named constants below (the dashboards read them by name out of the metadata column). The metadata
mapping may hold other stages' keys too (e.g. `contaminated` from decontamination): `from_dict` reads only these
and leaves the others alone. Version 1 is stored without a `schema_version` key, exactly as the generator wrote
it before this record existed; a later version writes its number there and `from_dict` refuses a version it does
not know.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from schemas.errors import SchemaError, explain

QUERY_ID = "query_id"  # the seed problem the response answers (its SeedProblem.id)
PASS_RATE = (
    "pass_rate"  # the model's pass rate on the query (correctness verdict only); None: no model responses
)
PASS_RATE_BY_MODE = "pass_rate_by_mode"  # the same per mode ("reasoning" / "non_reasoning")
DIFFICULTY = "difficulty"  # bucket of pass_rate (generators.reasoning.prompts.difficulty)
N_RESPONSES = "n_responses"  # model responses to the query (references not counted)
RL_KEEP = "rl_keep"  # False when the model solved every one of ≥ 8 responses (EXAONE 4.0 RL pre-filter)
RESPONSE_SOURCE = "response_source"  # "reference" (the dataset's solution) or the model name
RESPONSE_INDEX = "response_index"  # sample index within (query, mode); -1 for the reference
FINISH_REASON = "finish_reason"  # the engine's finish reason ("stop", "length", …)
GROUND_TRUTH = "ground_truth"  # the seed's answer (first 500 chars)
CORRECT = "correct"  # the correctness verdict passed
LEVEL = "level"  # MATH difficulty level, when the seed has one
REFERENCE = "reference"  # RESPONSE_SOURCE of a dataset's own solution
SCHEMA_VERSION_KEY = "schema_version"


class QueryStats(BaseModel):
    """Per-query numbers shared by every response to that query."""

    model_config = ConfigDict(extra="ignore", strict=True)
    pass_rate: float | None
    pass_rate_by_mode: dict[str, float] = Field(default_factory=dict)
    difficulty: str
    n_responses: int = Field(ge=0)
    rl_keep: bool


class ResponseMeta(QueryStats):
    """One response's metadata: its query's stats plus what is particular to the response."""

    SCHEMA_VERSION: ClassVar[int] = 1
    query_id: str = Field(min_length=1)
    response_source: str
    response_index: int
    finish_reason: str
    ground_truth: str
    correct: bool
    level: str | None = None  # omitted from the dict when the seed has none

    @property
    def is_reference(self) -> bool:
        return self.response_source == REFERENCE

    def to_dict(self) -> dict[str, Any]:
        out = self.model_dump(exclude={"level"} if self.level is None else set())
        if self.SCHEMA_VERSION != 1:
            out[SCHEMA_VERSION_KEY] = self.SCHEMA_VERSION
        return out

    @classmethod
    def from_dict(cls, metadata: Any, where: str | None = None) -> ResponseMeta:
        """The typed record of an SFTSample's metadata; SchemaError names the bad key (and `where`)."""
        if not isinstance(metadata, dict):
            raise SchemaError(f"response metadata must be a mapping, got {type(metadata).__name__}", where)
        fields = dict(metadata)
        version = fields.pop(SCHEMA_VERSION_KEY, 1)
        if version != cls.SCHEMA_VERSION:
            raise SchemaError(f"ResponseMeta schema_version {version!r} is not {cls.SCHEMA_VERSION}", where)
        try:
            return cls.model_validate(fields)
        except ValidationError as e:
            raise SchemaError(f"bad ResponseMeta: {explain(e)}", where) from None
