"""MixtureSpec: what goes into a training run, by token budget, reproducibly (YAML → DuckDB selection).

A spec lists components (predicates over catalog `samples` columns + a token budget or weight), global
constraints (EXAONE 4.0 reasoning:non-reasoning token ratio, language shares, max tokens per sample, audit and
decontamination exclusions) and a seed. A context-extension stage spec (K-EXAONE notes) sets `stage_length`
and uses the roles long_document / rehearsal / synthetic_reasoning with per-stage weights.

`Manifest` is what `datamill mix` selects by a spec and `datamill export` reads: one `ManifestEntry` per sample.
"""

from __future__ import annotations

import json
from dataclasses import MISSING, asdict, dataclass, fields, is_dataclass
from functools import cache
from types import UnionType
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

from pydantic import BaseModel, ConfigDict, Field, model_validator

from schemas.errors import SchemaError


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
    token_budget: int | None = Field(
        default=None, gt=0
    )  # tokens wanted from this component (repeats included)
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
    stage_length: int | None = Field(
        default=None, gt=0
    )  # context-extension stage length; packs long docs whole
    tolerance: float = Field(default=0.01, gt=0, lt=1)  # budgets and ratio must be met within this fraction
    on_shortfall: Literal["warn", "error"] = "warn"  # a budget that cannot be met: warning or error

    @model_validator(mode="after")
    def _weights_need_total(self):
        if (
            any(c.weight is not None and c.token_budget is None for c in self.components)
            and not self.total_tokens
        ):
            raise ValueError("components with weight need MixtureSpec.total_tokens")
        names = [c.name for c in self.components]
        if len(set(names)) != len(names):
            raise ValueError(f"component names must be unique: {names}")
        if sum(self.language_shares.values()) > 1.0 + 1e-9 or any(
            v < 0 for v in self.language_shares.values()
        ):
            raise ValueError(
                f"language_shares must be non-negative and sum to at most 1: {self.language_shares}"
            )
        if any(c.role == "long_document" for c in self.components) and not self.stage_length:
            raise ValueError(
                "a long_document component needs MixtureSpec.stage_length (documents are packed whole)"
            )
        return self

    def budget(self, c: MixtureComponent) -> int:
        """Tokens asked of a component (its token_budget, else weight × total_tokens)."""
        if c.token_budget is not None:
            return c.token_budget
        return round(c.weight * self.total_tokens)  # type: ignore[operator]


# -- the manifest: what `datamill mix` selected, read back by `datamill export` ------------------------------------

MANIFEST_VERSION = 1


def _types(hint: Any) -> tuple[type, ...]:
    """The runtime types a JSON value may have for a field annotation (float accepts int, as JSON does)."""
    if hint is type(None):
        return (type(None),)
    if get_origin(hint) in (Union, UnionType):
        return tuple(t for arg in get_args(hint) for t in _types(arg))
    if get_origin(hint) is Literal:
        return tuple({type(arg) for arg in get_args(hint)})
    if get_origin(hint) is not None:  # list[...] / dict[...]: the container is checked, not its items
        return (get_origin(hint),)
    if is_dataclass(hint):  # a nested record is a JSON object (checked by its own from_dict)
        return (dict,)
    return (float, int) if hint is float else (hint,)


@cache
def _fields_of(cls: type) -> dict[str, tuple[tuple[type, ...], bool]]:
    """name → (allowed runtime types, required) for a manifest dataclass."""
    hints = get_type_hints(cls)
    return {
        f.name: (_types(hints[f.name]), f.default is MISSING and f.default_factory is MISSING)
        for f in fields(cls)
    }


def _checked(cls: type, value: Any, where: str | None) -> dict:
    """`value` as the keyword arguments of `cls`, or a SchemaError naming the key (the manifest is a file a person
    may have edited; every key and type is checked before anything is read from the store)."""
    name = cls.__name__
    if not isinstance(value, dict):
        raise SchemaError(f"{name} must be a JSON object, got {type(value).__name__}", where)
    spec = _fields_of(cls)
    unknown = sorted(set(value) - set(spec))
    if unknown:
        raise SchemaError(f"{name}: unknown key(s) {unknown}", where)
    for key, (allowed, required) in spec.items():
        if key not in value:
            if required:
                raise SchemaError(f"{name}: missing {key!r}", where)
            continue
        v = value[key]
        if not isinstance(v, allowed) or (isinstance(v, bool) and bool not in allowed):
            want = " | ".join("null" if t is type(None) else t.__name__ for t in allowed)
            raise SchemaError(f"{name}.{key}: expected {want}, got {json.dumps(v)[:60]}", where)
    return value


@dataclass(slots=True)
class ManifestEntry:
    """One selected sample, one line of the manifest's `samples`: where it is stored and why it was taken."""

    id: str
    dataset: str
    shard: str  # Parquet path relative to the store root
    row: int  # row in that shard
    component: str  # the MixtureComponent that took it
    repeat: int  # 0 the first time; 1.. for epochs > 1 / upsampling
    tokens: int
    kind: str  # sft | web | preference (the record type in the shard)
    mode: str | None  # reasoning | non_reasoning | None (web documents)
    language: str | None
    pack: int | None = (
        None  # long_document entries: the stage-length sequence it is packed into (else absent)
    )

    def to_dict(self) -> dict[str, Any]:
        d = {
            "id": self.id,
            "dataset": self.dataset,
            "shard": self.shard,
            "row": self.row,
            "component": self.component,
            "repeat": self.repeat,
            "tokens": self.tokens,
            "kind": self.kind,
            "mode": self.mode,
            "language": self.language,
        }
        if self.pack is not None:
            d["pack"] = self.pack
        return d

    @classmethod
    def from_dict(cls, value: Any, where: str | None = None) -> ManifestEntry:
        return cls(**_checked(cls, value, where))


@dataclass
class ComponentReport:
    """Asked vs selected vs available for one component (the manifest header and `report.txt`)."""

    name: str
    role: str
    asked_tokens: int
    selected_tokens: int
    samples: int  # entries, repeats included
    unique_samples: int
    available_tokens: int
    available_samples: int
    matched_samples: int  # matched the select predicates before exclusions
    excluded: dict[str, int]  # exclusion reason → samples
    epochs: float
    taken_by_earlier_components: int
    status: Literal["ok", "short"]
    notes: list[str]


@dataclass
class MixTotals:
    """The whole mixture's tokens by mode and language, and the reasoning ratio against its target."""

    samples: int
    unique_samples: int
    tokens: int
    reasoning_tokens: int
    non_reasoning_tokens: int
    reasoning_ratio: float | None  # None: no non-reasoning tokens
    reasoning_ratio_target: float | None
    language_tokens: dict[str, int]
    language_shares: dict[str, float]


@dataclass
class Manifest:
    """`manifest.json`: a header (the spec, the catalog state it was selected from, the report) and the samples.

    The JSON text is stable byte for byte (sorted keys, no timestamps): the same spec and catalog give the same
    file, and the export records its sha256. `manifest_version` is this record's schema version."""

    name: str
    spec_hash: str  # "sha256:…" of the spec
    spec: dict[str, Any]  # MixtureSpec.model_dump(mode="json"), as it was when mixed
    seed: int
    catalog_state: str  # "sha256:…" of the shards table
    audit_state: str  # "sha256:…" of the latest audit decisions
    components: list[ComponentReport]
    totals: MixTotals
    long_document_packing: dict[str, int | float]  # {} unless the spec has a long_document component
    warnings: list[str]
    samples: list[ManifestEntry]
    manifest_version: int = MANIFEST_VERSION

    def header(self) -> dict[str, Any]:
        """Everything but the samples, as JSON-ready values."""
        return {
            "manifest_version": self.manifest_version,
            "name": self.name,
            "spec_hash": self.spec_hash,
            "spec": self.spec,
            "seed": self.seed,
            "catalog_state": self.catalog_state,
            "audit_state": self.audit_state,
            "components": [asdict(c) for c in self.components],
            "totals": asdict(self.totals),
            "long_document_packing": self.long_document_packing,
            "warnings": self.warnings,
        }

    def to_json(self) -> str:
        """Header pretty-printed, one compact line per sample: readable, diffable, and stable byte for byte."""
        head = json.dumps(self.header(), ensure_ascii=False, indent=1, sort_keys=True)
        lines = ",\n".join(
            "  " + json.dumps(e.to_dict(), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
            for e in self.samples
        )
        return head[:-2] + ',\n "samples": [\n' + lines + ("\n" if lines else "") + " ]\n}\n"

    @classmethod
    def from_dict(cls, value: Any, where: str | None = None) -> Manifest:
        """The typed manifest; SchemaError names the key, or the sample by index, and `where` (the file)."""
        d = dict(_checked(cls, value, where))
        if d.get("manifest_version", MANIFEST_VERSION) != MANIFEST_VERSION:
            raise SchemaError(f"manifest_version {d['manifest_version']} is not {MANIFEST_VERSION}", where)
        d["components"] = [
            ComponentReport(**_checked(ComponentReport, c, f"{where or 'manifest'}: components[{i}]"))
            for i, c in enumerate(d["components"])
        ]
        d["totals"] = MixTotals(**_checked(MixTotals, d["totals"], f"{where or 'manifest'}: totals"))
        d["samples"] = [
            ManifestEntry.from_dict(e, f"{where or 'manifest'}: samples[{i}]")
            for i, e in enumerate(d["samples"])
        ]
        return cls(**d)

    @classmethod
    def from_json(cls, text: str | bytes, where: str | None = None) -> Manifest:
        try:
            value = json.loads(text)
        except json.JSONDecodeError as e:
            raise SchemaError(
                f"malformed manifest JSON ({e.msg})", f"{where or 'manifest'}:{e.lineno}:{e.colno}"
            ) from None
        return cls.from_dict(value, where)
