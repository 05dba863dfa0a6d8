"""The tool library: JSON-schema tool definitions from BFCL (normalised and validated) and from our environments.

BFCL files are JSON Lines despite `.json` (one entry per line; `possible_answer/<same name>` keyed by `id`).
BFCL writes Python, Java and JavaScript type names into its schemas ("dict", "float", "tuple", "any", "String",
"HashMap", "ArrayList", "Boolean", "long", ...); `normalise_schema` maps them to JSON Schema and makes the schema
strict: an object that declares its properties (and every tool's top-level parameters) gets
`additionalProperties: false` unless it says otherwise, and an `enum` written on an array applies to its items.
A type name we cannot map is kept as written: the schema still loads, and a call that passes a value for that
argument gets the verdict `unknown_type:<T>` (calls.py) instead of an exception. Every normalised schema is checked
against the Draft 2020-12 meta-schema; entries with an invalid schema or a bad line are reported as
`file:line: why` and skipped (an unknown type name alone never skips an entry).
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

# BFCL type names → JSON Schema types; None = any type (the keyword is dropped). Source: bfcl_eval
# constants/type_mappings.py GORILLA_TO_OPENAPI (bfcl-eval 2026.3.23), which BFCL uses to hand its schemas to
# OpenAI-style models, except "any"/"Any", which BFCL sends as "string" because Java/JS arguments are code
# strings there; BFCL's checker accepts any value for them, so here they stay untyped. "" (one JavaScript entry,
# createAuthToken.options.issuer) is a missing type: untyped too.
TYPE_MAP: dict[str, str | None] = {
    "integer": "integer", "number": "number", "float": "number", "string": "string", "boolean": "boolean",
    "bool": "boolean", "array": "array", "list": "array", "dict": "object", "object": "object", "tuple": "array",
    "null": "null", "str": "string", "int": "integer", "any": None, "Any": None, "": None,
    # Java (BFCL JAVA_TYPE_CONVERSION)
    "byte": "integer", "short": "integer", "long": "integer", "double": "number", "char": "string",
    "ArrayList": "array", "Array": "array", "Set": "array", "HashMap": "object", "Hashtable": "object",
    "Queue": "array", "Stack": "array", "String": "string",
    # JavaScript (BFCL JS_TYPE_CONVERSION)
    "Boolean": "boolean", "Bigint": "integer",
}  # fmt: skip
JSON_TYPES = frozenset({"array", "boolean", "integer", "null", "number", "object", "string"})
_META = Draft202012Validator(
    Draft202012Validator.META_SCHEMA
)  # one meta-validator: check_schema builds one per call
NON_STANDARD = ("optional",)  # BFCL-only keys; optionality is what `required` says
_SUBSCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
_SUBSCHEMAS = ("items", "additionalProperties", "not", "contains", "if", "then", "else")


def _map_type(t: object) -> object:
    """A BFCL type (name or list of names) in JSON Schema; unknown names are kept as written; None = untyped."""
    if isinstance(t, list):
        mapped = [TYPE_MAP.get(x, x) if isinstance(x, str) else x for x in t]
        return None if None in mapped else mapped
    return TYPE_MAP.get(t, t) if isinstance(t, str) else t


def normalise_schema(s: object, top: bool = False) -> object:
    """A strict copy of a BFCL parameter schema in standard JSON Schema (`top` = a tool's parameters object)."""
    if isinstance(s, list):
        return [normalise_schema(x) for x in s]
    if not isinstance(s, dict):
        return s
    out: dict = {}
    for k, v in s.items():
        if k in NON_STANDARD:
            continue
        if k == "type":
            t = _map_type(v)
            if t is not None:
                out[k] = t
        elif k in ("properties", "patternProperties", "$defs", "definitions") and isinstance(v, dict):
            out[k] = {name: normalise_schema(p) for name, p in v.items()}
        elif k in _SUBSCHEMAS or k in _SUBSCHEMA_LISTS:
            out[k] = normalise_schema(v)
        else:
            out[k] = v
    if out.get("type") == "array" and isinstance(out.get("enum"), list):
        _enum_to_items(out)
    # strict objects: undeclared arguments are rejected. Only where the properties are declared (or at the top,
    # where the call's arguments are exactly the function's parameters): BFCL writes free-form maps as a dict
    # with no or empty `properties` (e.g. requests.get params, HashMap arguments), whose keys are the data.
    declares = bool(out.get("properties")) or top
    if declares and "additionalProperties" not in out and "unevaluatedProperties" not in out:
        out["additionalProperties"] = False
    return out


def _enum_to_items(out: dict) -> None:
    """BFCL writes `enum` beside `type: array` meaning the allowed items (live_multiple get_sensor_readings_latest
    metrics: enum of names, gold ["temperature"]); an enum whose values are themselves arrays is left alone."""
    enum = out["enum"]
    if enum and all(isinstance(x, list) for x in enum):
        return
    items = dict(out.get("items") or {})
    items.setdefault("enum", enum)
    out["items"] = items
    del out["enum"]


def unknown_types(schema: object) -> set[str]:
    """Type names in a normalised schema that JSON Schema does not know (each gives calls `unknown_type:<T>`)."""
    found: set[str] = set()
    if isinstance(schema, list):
        for x in schema:
            found |= unknown_types(x)
    elif isinstance(schema, dict):
        t = schema.get("type")
        for name in t if isinstance(t, list) else [t]:
            if isinstance(name, str) and name not in JSON_TYPES:
                found.add(name)
        for k, v in schema.items():
            if k == "properties" and isinstance(v, dict):
                for p in v.values():
                    found |= unknown_types(p)
            elif k != "enum" and k != "const" and k != "default" and isinstance(v, (dict, list)):
                found |= unknown_types(v)
    return found


def _without_unknown_types(schema: object) -> object:
    """The schema with unknown type names dropped, for the meta-schema check (they get a verdict per call)."""
    if isinstance(schema, list):
        return [_without_unknown_types(x) for x in schema]
    if not isinstance(schema, dict):
        return schema
    out = {}
    for k, v in schema.items():
        if k == "type":
            names = v if isinstance(v, list) else [v]
            known = [n for n in names if not isinstance(n, str) or n in JSON_TYPES]
            if known:
                out[k] = known if isinstance(v, list) else known[0]
        elif k in ("enum", "const", "default", "examples"):
            out[k] = v
        elif k in ("properties", "patternProperties") and isinstance(v, dict):
            out[k] = {name: _without_unknown_types(p) for name, p in v.items()}
        else:
            out[k] = _without_unknown_types(v)
    return out


def normalise_tool(fn: dict) -> dict:
    return {
        "name": fn["name"],
        "description": fn.get("description", ""),
        "parameters": normalise_schema(
            fn.get("parameters") or {"type": "object", "properties": {}}, top=True
        ),
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
    problem = _meta_problem(json.dumps(_without_unknown_types(params), sort_keys=True))
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
    category: str  # simple_python | multiple | parallel | simple_java | simple_javascript | ...
    messages: list[Message]
    tools: list[dict]  # normalised
    ground_truth: list[dict] = field(default_factory=list)  # [{fn_name: {arg: [acceptable values]}}]
    language: str = "python"  # the calls' language: java / javascript arguments may be variable references
    raw_tools: list[dict] = field(default_factory=list)  # the functions as BFCL wrote them (for comparisons)


def bfcl_language(category: str) -> str:
    """BFCL's test language from the category name (bfcl_eval: simple_java → Java, simple_javascript → JS)."""
    if category.endswith("javascript"):
        return "javascript"
    return "java" if category.endswith("java") else "python"


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
        out.append(
            BfclEntry(
                row["id"],
                where,
                category,
                messages,
                tools,
                answers.get(row["id"], []),
                bfcl_language(category),
                row["function"],
            )
        )
        if limit and len(out) >= limit:
            break
    return out


def env_tool_problems(tools: list[dict], name: str) -> list[str]:
    """Our own environments' schemas go through the same check (a broken one is a bug: fail loudly)."""
    return [f"{name}: {p}" for p in (schema_problem(t) for t in tools) if p]
