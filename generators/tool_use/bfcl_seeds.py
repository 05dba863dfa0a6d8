"""Single-turn seed samples from BFCL ground truth (possible answers), checked against the tool schemas.

BFCL lists, for every argument, the acceptable values (`{"fn": {"arg": [v1, v2, ""]}}`; `""` = the optional
argument may be omitted). The seed call takes the first acceptable non-empty value of each argument that matches
the argument's schema (recursively inside dict values and lists of dicts); when none does and omission is
allowed, the argument is left out (BFCL has a few answers like `"venue": ["", true]` for a string argument). Each call must name one of the
entry's functions and match its normalised schema; failures are kept with their reason (passed = false).
Note: BFCL is an evaluation set (EXAONE 4.0 reports BFCL-v3), so samples made from it carry
`metadata.contaminated = true` and `metadata.benchmark = "bfcl"`: mixtures leave them out by default
(`exclude_contaminated`); a component for a model that is not scored on BFCL can set its own
`exclude_contaminated: false`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from datamill.ids import sample_id
from generators.tool_use.calls import check_call, value_is_valid
from generators.tool_use.library import BfclEntry
from schemas import Message, SFTSample, ToolCall, Verdict

OMIT = object()


def pick_value(candidates: Any, schema: dict | None = None, language: str = "python") -> Any:
    """The first acceptable value that matches the argument's schema; else omission when BFCL allows it (""),
    else the first value (the call then fails its schema check and is kept with the reason). OMIT = leave out.
    `language` java/javascript: a variable reference (a bare identifier) matches any type, as in BFCL."""
    if not isinstance(candidates, list):  # a dict argument spelled as {key: [candidates]} (or a bare value)
        return _resolve(candidates, schema, language)
    options = [_resolve(c, schema, language) for c in candidates if c != "" and c is not None]
    for v in options:
        if value_is_valid(v, schema, language):
            return v
    if "" in candidates or not options:
        return OMIT
    return options[0]


def _resolve(value: Any, schema: dict | None, language: str) -> Any:
    """Dicts inside a chosen value are themselves {key: [candidates]} (BFCL's nested / list-of-dict answers)."""
    if isinstance(value, dict):
        return _pick_dict(value, schema, language)
    if isinstance(value, list):
        item = (schema or {}).get("items") if isinstance(schema, dict) else None
        return [_pick_dict(x, item, language) if isinstance(x, dict) else x for x in value]
    return value


def _pick_dict(d: dict, schema: dict | None = None, language: str = "python") -> dict:
    props = (schema or {}).get("properties", {}) if isinstance(schema, dict) else {}
    out = {}
    for k, v in d.items():
        val = pick_value(v, props.get(k), language)
        if val is not OMIT:
            out[k] = val
    return out


def ground_truth_calls(entry: BfclEntry) -> list[ToolCall]:
    schemas = {t["name"]: t["parameters"] for t in entry.tools}
    calls = []
    for k, gt in enumerate(entry.ground_truth):
        for name, args in gt.items():
            arguments = _pick_dict(args or {}, schemas.get(name), entry.language)
            calls.append(ToolCall(id=f"call_0_{k}", name=name, arguments=arguments))
    return calls


def seed_verdicts(entry: BfclEntry, calls: list[ToolCall]) -> list[Verdict]:
    if not calls:
        return [
            Verdict(
                verifier="ground_truth",
                passed=False,
                reason="no_ground_truth",
                details={"where": entry.where},
            )
        ]
    tools = {t["name"]: t for t in entry.tools}
    problems = [(c, p) for c in calls if (p := check_call(c, tools, entry.language)) is not None]
    if problems:
        c, p = problems[0]
        return [
            Verdict(verifier="ground_truth", passed=True),
            Verdict(
                verifier="tool_call_schema",
                passed=False,
                reason=p.reason,
                details={
                    "call": c.name,
                    "rule": p.rule,
                    "message": p.message,
                    "where": entry.where,
                    "category": "unknown_function" if p.reason == "unknown_function" else "schema_violation",
                },
            ),
        ]
    return [
        Verdict(verifier="ground_truth", passed=True),
        Verdict(verifier="tool_call_schema", passed=True, details={"calls": len(calls)}),
    ]


def seed_sample(entry: BfclEntry, dataset: str, run_id: str, num_tokens_fn) -> SFTSample:
    """num_tokens_fn(messages, tools) → int (datamill.tokens.count_chat_tokens in the job)."""
    calls = ground_truth_calls(entry)
    messages = list(entry.messages) + [Message(role="assistant", content="", tool_calls=calls)]
    return SFTSample(
        id=sample_id(dataset, run_id, "bfcl", entry.id),
        dataset=dataset,
        domain="tool_use",
        language="en",
        mode="non_reasoning",
        messages=messages,
        tools=entry.tools,
        verdicts=seed_verdicts(entry, calls),
        num_tokens=num_tokens_fn(messages, entry.tools),
        license="Apache-2.0",
        lineage={
            "parent_ids": [f"bfcl:{entry.id}"],
            "source": "tools/bfcl/" + Path(entry.where).name,
            "model": "reference",
        },
        metadata={
            "kind": "bfcl_single_turn",
            "bfcl_id": entry.id,
            "category": entry.category,
            "benchmark": "bfcl",
            "contaminated": True,  # seeded from an evaluation set's ground truth
            "contamination": {  # the catalog's contamination column names the item, as decontamination does
                "benchmarks": ["bfcl"],
                "matches": [{"benchmark": "bfcl", "item": entry.id, "rule": "seeded_from", "score": 1.0}],
                "n_matches": 1,
            },
            "parallel": len(calls) > 1,
            "n_tools_offered": len(entry.tools),
        },
    )
