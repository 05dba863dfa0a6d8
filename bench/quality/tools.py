"""Tool-call validation: plain jsonschema vs ours (`generators.tool_use.calls.check_call`) on BFCL calls.

Sets (real data): every BFCL ground-truth call of ../shared/data/tools/bfcl (simple_python, multiple, parallel;
else the embedded sample) and of bfcl-eval's simple_java / simple_javascript (examples/data/tools/bfcl_java_js),
as `bfcl_seeds.ground_truth_calls` builds them: each must be accepted. Each gold call perturbed once per class, so
that exactly one rule breaks: an undeclared argument added, a required argument dropped, an argument of a declared
type given a value of another type (never a string for Java/JavaScript, where a string is a code expression), an
enum argument given a value outside its enum, the function name changed. Ours must reject each with that rule
(`undeclared_argument:<arg>`, `missing_required:<arg>`, `wrong_type:<arg>:<T>`, `not_in_enum:<arg>`,
`unknown_function:<name>`); plain only has to reject it. Hand-written hard cases: an unknown type name, a
free-form map, an enum on an array, JavaScript variable references.
Plain = `Draft202012Validator(schema).is_valid(arguments)` per call on the BFCL schema with BFCL's own type
mapping (bfcl_eval constants/type_mappings.py GORILLA_TO_OPENAPI, what BFCL sends to OpenAI-style models; a name
it lacks becomes "string" as in its `_cast_to_openai_type`), and a lookup of the function by name.
"""

from __future__ import annotations

import copy
import time
from pathlib import Path

from bench.quality import Row

AREA = "tool-call validation"
FLOOR_GOLD = "100% accepted, ≥ 1× plain"
FLOOR_BAD = "100% rejected with its rule, ≥ 1× plain"

# bfcl_eval 2026.3.23 constants/type_mappings.py GORILLA_TO_OPENAPI
GORILLA_TO_OPENAPI = {
    "integer": "integer", "number": "number", "float": "number", "string": "string", "boolean": "boolean",
    "bool": "boolean", "array": "array", "list": "array", "dict": "object", "object": "object", "tuple": "array",
    "any": "string", "byte": "integer", "short": "integer", "long": "integer", "double": "number", "char": "string",
    "ArrayList": "array", "Array": "array", "HashMap": "object", "Hashtable": "object", "Queue": "array",
    "Stack": "array", "Any": "string", "String": "string", "Bigint": "integer",
}  # fmt: skip


def bfcl_openapi(schema: object) -> object:
    """The plain side's schema: BFCL's type names mapped the way BFCL maps them, nothing else changed."""
    if isinstance(schema, list):
        return [bfcl_openapi(x) for x in schema]
    if not isinstance(schema, dict):
        return schema
    out = {}
    for k, v in schema.items():
        if k == "type" and isinstance(v, str):
            out[k] = GORILLA_TO_OPENAPI.get(v, "string")
        elif k == "properties" and isinstance(v, dict):
            out[k] = {name: bfcl_openapi(p) for name, p in v.items()}
        elif k in ("items", "additionalProperties"):
            out[k] = bfcl_openapi(v)
        else:
            out[k] = v
    return out


def _roots() -> list[Path]:
    from datamill.demo_data import EXAMPLES, shared_data

    return [EXAMPLES] + ([shared_data()] if shared_data() else [])


def _entries(quick: bool) -> list:
    from datamill.demo_data import EXAMPLES
    from generators.tool_use.library import bfcl_files, load_bfcl

    errors: list[str] = []
    files = bfcl_files(_roots()) + sorted((EXAMPLES / "tools" / "bfcl_java_js").glob("BFCL_*.json"))
    entries = [e for f in files for e in load_bfcl(f, errors, 15 if quick else None)]
    if errors:
        raise RuntimeError(f"BFCL files did not load cleanly: {errors[:3]}")
    return entries


def _types(schema: dict) -> list[str]:
    t = schema.get("type")
    return [] if t is None else (t if isinstance(t, list) else [t])


def _wrong_value(schema: dict) -> object:
    return ["not", "a", "number"] if {"integer", "number"} & set(_types(schema)) else 12345


def perturbations(call, params: dict) -> list[tuple[str, object, str]]:
    """(class, perturbed call, the rule ours must name) for one gold call and its normalised parameters."""
    from schemas import ToolCall

    props, args, out = params.get("properties", {}), call.arguments, []

    def with_args(new: dict, name: str | None = None) -> ToolCall:
        return ToolCall(id=call.id, name=name or call.name, arguments=new)

    out.append(
        ("undeclared argument", with_args({**args, "zz_undeclared": 1}), "undeclared_argument:zz_undeclared")
    )
    required = [r for r in params.get("required", []) if r in args]
    if required:
        out.append(
            (
                "missing required",
                with_args({k: v for k, v in args.items() if k != required[0]}),
                f"missing_required:{required[0]}",
            )
        )
    typed = [k for k in args if _types(props.get(k, {})) and not props[k].get("enum")]
    if typed:
        k = typed[0]
        out.append(
            (
                "wrong type",
                with_args({**args, k: _wrong_value(props[k])}),
                f"wrong_type:{k}:{'|'.join(_types(props[k]))}",
            )
        )
    for k in args:
        p = props.get(k, {})
        if p.get("enum") and "string" in _types(p):
            out.append(("out of enum", with_args({**args, k: "zz_not_in_enum"}), f"not_in_enum:{k}"))
            break
        if (p.get("items") or {}).get("enum"):
            out.append(("out of enum", with_args({**args, k: ["zz_not_in_enum"]}), f"not_in_enum:{k}/0"))
            break
    out.append(
        ("wrong function name", with_args(args, call.name + "_v2"), f"unknown_function:{call.name}_v2")
    )
    return out


def hard_cases() -> list[tuple[str, dict, object, str | None, str]]:
    """(name, BFCL function, call arguments, rule ours must name or None = accept, language)."""

    def f(props: dict, req: tuple = ()) -> dict:
        return {"name": "f", "parameters": {"type": "dict", "properties": props, "required": list(req)}}

    return [
        (
            "unknown type name",
            f({"m": {"type": "matrix"}}),
            {"m": [[1, 0], [0, 1]]},
            "unknown_type:matrix",
            "python",
        ),
        ("free-form HashMap", f({"params": {"type": "HashMap"}}), {"params": {"limit": 50}}, None, "java"),
        (
            "enum on an array",
            f({"metrics": {"type": "array", "items": {"type": "string"}, "enum": ["co2", "noise"]}}),
            {"metrics": ["co2"]},
            None,
            "python",
        ),
        (
            "enum on an array, bad item",
            f({"metrics": {"type": "array", "items": {"type": "string"}, "enum": ["co2", "noise"]}}),
            {"metrics": ["co2", "pm10"]},
            "not_in_enum:metrics/1",
            "python",
        ),
        (
            "JS variable reference",
            f({"el": {"type": "any"}, "flags": {"type": "array", "items": {"type": "String"}}}, ["el"]),
            {"el": "listElement", "flags": "activeFlags"},
            None,
            "javascript",
        ),
        (
            "nested undeclared key",
            f({"opts": {"type": "dict", "properties": {"depth": {"type": "long"}}}}),
            {"opts": {"depth": 2, "colour": "red"}},
            "undeclared_argument:opts/colour",
            "java",
        ),
        (
            "Java Boolean given a number",
            f({"ok": {"type": "Boolean"}}),
            {"ok": 1},
            "wrong_type:ok:boolean",
            "java",
        ),
    ]


def _paired(plain, ours, items: list, rounds: int = 3) -> tuple[list, list, float, float]:
    """Both checks on every item, interleaved and timed in CPU seconds of this process (fair on a busy machine). Each
    side is one direct call of the function a user calls, its arguments prepared beforehand: plain(call, schemas)
    and ours = check_call(call, tools, language), so neither pays for a wrapper the other does not."""
    args_p = [(it[0], it[3]) for it in items]
    args_o = [(it[0], it[1], it[2]) for it in items]
    tp = to = 0.0
    for _ in range(rounds):
        got_p, got_o = [], []
        for ap, ao in zip(args_p, args_o):
            t0 = time.process_time()
            got_p.append(plain(*ap))
            t1 = time.process_time()
            got_o.append(ours(*ao))
            tp, to = tp + t1 - t0, to + time.process_time() - t1
    n = rounds * len(items)
    return got_p, got_o, n / max(tp, 1e-9), n / max(to, 1e-9)


def run(quick: bool) -> list[Row]:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError, UnknownType

    SchemaError = (SchemaError, UnknownType)

    from generators.tool_use.bfcl_seeds import ground_truth_calls
    from generators.tool_use.calls import check_call
    from generators.tool_use.library import normalise_tool

    gold, bad = [], {}
    for e in _entries(quick):
        tools = {t["name"]: t for t in e.tools}
        raw = {
            t["name"]: bfcl_openapi(t["parameters"]) for t in e.raw_tools
        }  # converted once, as a user would
        for call in ground_truth_calls(e):
            item = (call, tools, e.language, raw, e.id)
            gold.append(item)
            for cls, perturbed, rule in perturbations(call, tools[call.name]["parameters"]):
                bad.setdefault(cls, []).append(((perturbed, tools, e.language, raw, e.id), rule))

    def plain(call, schemas: dict) -> bool | None:
        """What a user writes around jsonschema: find the function's schema by name, validate the arguments."""
        schema = schemas.get(call.name)
        if schema is None:
            return False
        try:
            return Draft202012Validator(schema).is_valid(call.arguments)
        except SchemaError:  # no verdict: counted as wrong
            return None

    rows = []
    got_p, got_o, rp, ro = _paired(plain, check_call, gold)
    wrong = [it[4] for it, o in zip(gold, got_o) if o is not None][:5]
    fn_p, fn_o = sum(p is not True for p in got_p), sum(o is not None for o in got_o)
    rows.append(
        Row(
            AREA,
            "BFCL gold calls (Python, Java, JavaScript)",
            len(gold),
            1 - fn_p / len(gold),
            1 - fn_o / len(gold),
            0,
            0,
            fn_p,
            fn_o,
            rp,
            ro,
            FLOOR_GOLD,
            fn_o == 0 and ro >= rp,
            [f"gold rejected by ours: {wrong}"] if wrong else [],
        )
    )
    for cls, items in bad.items():
        got_p, got_o, rp, ro = _paired(plain, check_call, [it for it, _ in items])
        ok_p = [p is False for p in got_p]
        ok_o = [o is not None and o.rule == rule for o, (_, rule) in zip(got_o, items)]
        fp_p, fp_o = sum(p is True for p in got_p), sum(o is None for o in got_o)
        miss = [
            (it[4], rule, o.rule if o else None) for ok, o, (it, rule) in zip(ok_o, got_o, items) if not ok
        ][:3]
        n = len(items)
        rows.append(
            Row(
                AREA,
                f"perturbed: {cls}",
                n,
                sum(ok_p) / n,
                sum(ok_o) / n,
                fp_p,
                fp_o,
                0,
                0,
                rp,
                ro,
                FLOOR_BAD,
                all(ok_o) and ro >= rp,
                [f"{cls}: ours {miss}"] if miss else [],
            )
        )
    cases = hard_cases()
    res_p, res_o = [], []
    for name, fn, args, rule, language in cases:
        from schemas import ToolCall

        call = ToolCall(name="f", arguments=copy.deepcopy(args))
        res_p.append(plain(call, {"f": bfcl_openapi(fn["parameters"])}) is (rule is None))
        got = check_call(call, {"f": normalise_tool(fn)}, language)
        res_o.append((got.rule if got else None) == rule)
    n = len(cases)
    rows.append(
        Row(
            AREA,
            "hand-written hard cases",
            n,
            sum(res_p) / n,
            sum(res_o) / n,
            0,
            0,
            n - sum(res_p),
            n - sum(res_o),
            None,
            0.0,
            "all right",
            all(res_o),
            [f"hard cases plain got wrong: {[c[0] for c, ok in zip(cases, res_p) if not ok]}"],
        )
    )
    return rows
