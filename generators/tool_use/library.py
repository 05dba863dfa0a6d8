"""The tool library: JSON-schema tool definitions from BFCL (normalised and validated) and from our environments.

BFCL files are JSON Lines despite `.json` (one entry per line; `possible_answer/<same name>` keyed by `id`).
BFCL writes Python type names into its schemas ("dict", "float", "tuple", "any"); `normalise_schema` maps them to
JSON Schema, and every normalised schema is checked against the Draft 2020-12 meta-schema. Entries with an
invalid schema or a bad line are reported as `file:line: why` and skipped.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from pathlib import Path

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from datamill.readers import iter_jsonl_errors
from schemas import Message

# BFCL (gorilla, bfcl_eval) parameter types → JSON Schema types; None = any type (drop the keyword).
TYPE_MAP = {
    "dict": "object",
    "float": "number",
    "tuple": "array",
    "any": None,
    "str": "string",
    "int": "integer",
    "bool": "boolean",
    "list": "array",
    "double": "number",
    "long": "integer",
    "char": "string",
}
_META = Draft202012Validator(
    Draft202012Validator.META_SCHEMA
)  # one meta-validator: check_schema builds one per call
NON_STANDARD = ("optional",)  # BFCL-only keys; optionality is what `required` says


def normalise_schema(s: object) -> object:
    """A copy of a BFCL parameter schema in standard JSON Schema."""
    if isinstance(s, list):
        return [normalise_schema(x) for x in s]
    if not isinstance(s, dict):
        return s
    out = {}
    for k, v in s.items():
        if k in NON_STANDARD:
            continue
        if k == "type" and isinstance(v, str):
            t = TYPE_MAP.get(v, v)
            if t is not None:
                out[k] = t
        elif k == "properties" and isinstance(v, dict):
            out[k] = {name: normalise_schema(p) for name, p in v.items()}
        elif k in ("items", "additionalProperties", "anyOf", "oneOf", "allOf", "prefixItems"):
            out[k] = normalise_schema(v)
        else:
            out[k] = v
    return out


def normalise_tool(fn: dict) -> dict:
    return {
        "name": fn["name"],
        "description": fn.get("description", ""),
        "parameters": normalise_schema(fn.get("parameters") or {"type": "object", "properties": {}}),
    }


@functools.lru_cache(maxsize=4096)
def _meta_problem(params_json: str) -> str | None:
    """Meta-schema check, cached by schema text (BFCL repeats functions across files; each check costs ~3 ms)."""
    e = best_match(_META.iter_errors(json.loads(params_json)))
    if e is None:
        return None
    path = "/".join(str(p) for p in e.absolute_path) or "parameters"
    return f"invalid JSON Schema at {path}: {e.message[:200]}"


def schema_problem(tool: dict) -> str | None:
    """Why a (normalised) tool definition is unusable, or None."""
    if not isinstance(tool.get("name"), str) or not tool["name"]:
        return "tool without a name"
    params = tool.get("parameters")
    if not isinstance(params, dict) or params.get("type") != "object":
        return f"{tool['name']}: parameters must be a JSON Schema of type object"
    problem = _meta_problem(json.dumps(params, sort_keys=True))
    if problem:
        return f"{tool['name']}: {problem}"
    missing = [r for r in params.get("required", []) if r not in params.get("properties", {})]
    if missing:
        return f"{tool['name']}: required {missing} not in properties"
    return None


@dataclass
class BfclEntry:
    id: str
    where: str  # file:line
    category: str  # simple_python | multiple | parallel
    messages: list[Message]
    tools: list[dict]  # normalised
    ground_truth: list[dict] = field(default_factory=list)  # [{fn_name: {arg: [acceptable values]}}]


def bfcl_files(roots: list[Path]) -> list[Path]:
    """BFCL_*.json under each root's tools/bfcl; the largest copy of a file name wins (shared ⊇ examples)."""
    by_name: dict[str, Path] = {}
    for root in roots:
        for p in sorted((Path(root) / "tools" / "bfcl").glob("BFCL_*.json")):
            if p.name not in by_name or p.stat().st_size > by_name[p.name].stat().st_size:
                by_name[p.name] = p
    return [by_name[k] for k in sorted(by_name)]


def _jsonl(path: Path, errors: list[str]):
    for n, row in iter_jsonl_errors(path, errors):
        if "id" not in row:
            errors.append(f"{path}:{n}: expected an object with an 'id'")
            continue
        yield n, row


def load_bfcl(path: Path, errors: list[str], limit: int | None = None) -> list[BfclEntry]:
    """Entries of one BFCL file with their possible answers. Bad lines / invalid schemas go to `errors`."""
    answers_path = path.parent / "possible_answer" / path.name
    answers = (
        {r["id"]: r.get("ground_truth", []) for _, r in _jsonl(answers_path, errors)}
        if answers_path.exists()
        else {}
    )
    category = path.stem.split("_", 2)[-1] if path.stem.count("_") >= 2 else path.stem
    out = []
    for n, row in _jsonl(path, errors):
        where = f"{path}:{n}"
        try:
            turns = row["question"]
            first = turns[0] if turns and isinstance(turns[0], list) else turns
            messages = [Message(role=m["role"], content=m["content"]) for m in first]
            tools = [normalise_tool(fn) for fn in row["function"]]
        except (KeyError, TypeError, IndexError, ValueError) as e:
            errors.append(f"{where}: {row.get('id')}: unexpected entry layout ({type(e).__name__}: {e})")
            continue
        bad = [p for p in (schema_problem(t) for t in tools) if p]
        if bad:
            errors.append(f"{where}: {row['id']}: {bad[0]}")
            continue
        out.append(BfclEntry(row["id"], where, category, messages, tools, answers.get(row["id"], [])))
        if limit and len(out) >= limit:
            break
    return out


def env_tool_problems(tools: list[dict], name: str) -> list[str]:
    """Our own environments' schemas go through the same check (a broken one is a bug: fail loudly)."""
    return [f"{name}: {p}" for p in (schema_problem(t) for t in tools) if p]
