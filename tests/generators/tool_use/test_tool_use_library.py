"""The tool library: BFCL normalisation, Draft 2020-12 validation, file:line errors, real BFCL files."""

from __future__ import annotations

import json

from generators.tool_use.bfcl_seeds import OMIT, ground_truth_calls, pick_value, seed_verdicts
from generators.tool_use.envs import ENVIRONMENTS
from generators.tool_use.library import (
    bfcl_files,
    load_bfcl,
    normalise_schema,
    normalise_tool,
    schema_problem,
    unknown_types,
)


def test_normalise_bfcl_types():
    s = normalise_schema({"type": "dict", "properties": {
        "x": {"type": "float"}, "pair": {"type": "tuple", "items": {"type": "integer"}},
        "anything": {"type": "any", "description": "d"}, "opt": {"type": "string", "optional": True},
        "nested": {"type": "array", "items": {"type": "dict", "properties": {"k": {"type": "float"}}}}}})  # fmt: skip
    p = s["properties"]
    assert s["type"] == "object" and p["x"] == {"type": "number"} and p["pair"]["type"] == "array"
    assert p["anything"] == {"description": "d"} and "optional" not in p["opt"]
    assert (
        p["nested"]["items"]["type"] == "object"
        and p["nested"]["items"]["properties"]["k"]["type"] == "number"
    )


def test_schema_problems_are_explained():
    assert (
        schema_problem(normalise_tool({"name": "f", "parameters": {"type": "dict", "properties": {}}}))
        is None
    )
    bad = schema_problem(
        {"name": "f", "parameters": {"type": "object", "properties": {"a": {"minimum": "zero"}}}}
    )
    assert "invalid JSON Schema at properties/a/minimum" in bad
    assert "not in properties" in schema_problem(
        {"name": "f", "parameters": {"type": "object", "required": ["z"]}}
    )
    assert "type object" in schema_problem({"name": "f", "parameters": {"type": "array"}})


def test_unknown_type_name_is_kept_not_a_schema_problem():
    tool = normalise_tool(
        {"name": "f", "parameters": {"type": "dict", "properties": {"a": {"type": "str1ng"}}}}
    )
    assert schema_problem(tool) is None and unknown_types(tool["parameters"]) == {"str1ng"}
    assert tool["parameters"]["properties"]["a"] == {"type": "str1ng"}  # as written: calls get unknown_type


def test_strict_normalisation():
    s = normalise_schema({"type": "dict", "properties": {
        "free": {"type": "dict", "properties": {}}, "map": {"type": "HashMap"},
        "opts": {"type": "dict", "properties": {"k": {"type": "String"}}},
        "tags": {"type": "array", "items": {"type": "string"}, "enum": ["a", "b"]},
        "pair": {"type": "array", "enum": [[1, 2], [3, 4]]}}}, top=True)  # fmt: skip
    p = s["properties"]
    assert s["additionalProperties"] is False and p["opts"]["additionalProperties"] is False
    assert "additionalProperties" not in p["free"] and p["map"] == {"type": "object"}  # free-form maps
    assert p["tags"] == {"type": "array", "items": {"type": "string", "enum": ["a", "b"]}}
    assert p["pair"]["enum"] == [[1, 2], [3, 4]]  # an enum of arrays is about the whole array
    assert (
        normalise_schema({"type": "object"}, top=True)["additionalProperties"] is False
    )  # no arguments at all
    assert normalise_schema(s, top=True) == s  # idempotent: check_call normalises what it is given


def test_our_environment_schemas_are_valid():
    assert [schema_problem(t) for env in ENVIRONMENTS.values() for t in env.TOOLS] == [None] * sum(
        len(env.TOOLS) for env in ENVIRONMENTS.values()
    )


def test_embedded_bfcl_sample_loads_with_answers(examples):
    errors: list[str] = []
    entries = [e for f in bfcl_files([examples]) for e in load_bfcl(f, errors)]
    assert (
        errors == [] and len(entries) == 220
    )  # 100 simple + 60 multiple + 60 parallel lines in examples/data
    assert all(e.ground_truth for e in entries)
    assert {e.category for e in entries} == {"simple_python", "multiple", "parallel"}
    par = next(e for e in entries if e.id == "parallel_0")
    assert [c.arguments for c in ground_truth_calls(par)] == [
        {"artist": "Taylor Swift", "duration": 20},
        {"artist": "Maroon 5", "duration": 15},
    ]


def test_bad_lines_and_invalid_schemas_reported_with_file_and_line(tmp_path):
    d = tmp_path / "tools" / "bfcl"
    (d / "possible_answer").mkdir(parents=True)
    good = {
        "id": "g",
        "question": [[{"role": "user", "content": "hi"}]],
        "function": [{"name": "f", "parameters": {"type": "dict", "properties": {"a": {"type": "float"}}}}],
    }
    bad_schema = {
        **good,
        "id": "b",
        "function": [{"name": "f", "parameters": {"type": "dict", "required": ["zz"]}}],
    }
    weird_type = {**good, "id": "w", "function": [{"name": "f", "parameters": {"type": "dict", "properties": {"a": {"type": "matrix"}}}}]}  # fmt: skip
    f = d / "BFCL_v4_test_cat.json"
    f.write_text(
        "\n".join([json.dumps(good), "{not json", json.dumps(bad_schema), json.dumps(weird_type)]) + "\n"
    )
    (d / "possible_answer" / f.name).write_text(
        json.dumps({"id": "g", "ground_truth": [{"f": {"a": [1.5]}}]}) + "\n"
    )
    errors: list[str] = []
    entries = load_bfcl(bfcl_files([tmp_path])[0], errors)
    # an unknown type name never skips an entry: "w" loads, and its calls get unknown_type:matrix
    assert [e.id for e in entries] == ["g", "w"] and entries[0].category == "test_cat"
    assert [e.split(": ")[0] for e in errors] == [f"{f}:2", f"{f}:3"]
    assert "malformed_json" in errors[0] and "not in properties" in errors[1]
    entries[1].ground_truth = [{"f": {"a": [[[1, 0], [0, 1]]]}}]
    v = seed_verdicts(entries[1], ground_truth_calls(entries[1]))[-1]
    assert (v.passed, v.reason, v.details["rule"]) == (False, "unknown_type", "unknown_type:matrix")


def test_pick_value_rules():
    assert pick_value(["", "copper"]) == "copper"
    assert pick_value([""]) is OMIT
    assert pick_value(["", True], {"type": "string"}) is OMIT  # the only value is wrong-typed: omit (allowed)
    assert (
        pick_value([True], {"type": "string"}) is True
    )  # not allowed to omit: kept, the schema check fails it
    assert pick_value([{"min": [1], "max": [2, 3]}]) == {"min": 1, "max": 2}
    assert pick_value([[{"f": ["age"], "op": [">"]}]]) == [
        {"f": "age", "op": ">"}
    ]  # lists of candidate dicts


def test_seed_checked_against_schema(examples):
    errors: list[str] = []
    entry = next(
        e for e in load_bfcl(examples / "tools/bfcl/BFCL_v4_parallel.json", errors) if e.id == "parallel_0"
    )
    assert seed_verdicts(entry, ground_truth_calls(entry))[-1].passed
    entry.ground_truth = [{"spotify.play": {"artist": ["Taylor Swift"], "duration": ["twenty"]}}]
    v = seed_verdicts(entry, ground_truth_calls(entry))[-1]
    assert (v.passed, v.reason, v.details["rule"]) == (False, "wrong_type", "wrong_type:duration:integer")
    entry.ground_truth = [{"spotify.play": {"artist": ["Taylor Swift"], "duration": [20], "shuffle": [True]}}]
    v = seed_verdicts(entry, ground_truth_calls(entry))[-1]
    assert (v.reason, v.details["rule"]) == ("undeclared_argument", "undeclared_argument:shuffle")
    entry.ground_truth = [{"spotify.pause": {}}]
    v = seed_verdicts(entry, ground_truth_calls(entry))[-1]
    assert (v.reason, v.details["rule"]) == ("unknown_function", "unknown_function:spotify.pause")
    entry.ground_truth = []
    assert seed_verdicts(entry, [])[0].reason == "no_ground_truth"


def test_all_shared_bfcl_sets(shared):
    errors: list[str] = []
    entries = [e for f in bfcl_files([shared]) for e in load_bfcl(f, errors)]
    assert len(entries) == 800 and errors == []
    bad = {e.id: v.reason for e in entries for v in seed_verdicts(e, ground_truth_calls(e)) if not v.passed}
    assert (
        bad == {}
    )  # with schema-aware picking every ground-truth call matches its normalised (strict) schema


def test_java_and_javascript_gold_calls_all_pass(examples):
    # bfcl-eval's simple_java (100) and simple_javascript (50), embedded: String, Boolean, HashMap, ArrayList,
    # Array, long, char, double, any, "" types, and variable references (listElement, processFunction)
    errors: list[str] = []
    folder = examples / "tools/bfcl_java_js"
    entries = [e for f in sorted(folder.glob("BFCL_*.json")) for e in load_bfcl(f, errors)]
    assert errors == [] and len(entries) == 150
    assert {e.language for e in entries} == {"java", "javascript"}
    types = {t for e in entries for tool in e.tools for t in _type_names(tool["parameters"])}
    assert {"string", "boolean", "object", "array", "integer", "number"} >= types  # every name mapped
    bad = {e.id: v.details for e in entries for v in seed_verdicts(e, ground_truth_calls(e)) if not v.passed}
    assert bad == {}
    js1 = next(e for e in entries if e.id == "simple_javascript_1")
    assert ground_truth_calls(js1)[0].arguments["listElement"] == "listElement"  # a variable reference


def _type_names(schema) -> set[str]:
    if isinstance(schema, list):
        return set().union(*map(_type_names, schema)) if schema else set()
    if not isinstance(schema, dict):
        return set()
    out = {schema["type"]} if isinstance(schema.get("type"), str) else set()
    for k, v in schema.items():
        if k == "properties":
            out |= set().union(*map(_type_names, v.values())) if v else set()
        elif k not in ("enum", "default") and isinstance(v, (dict, list)):
            out |= _type_names(v)
    return out
