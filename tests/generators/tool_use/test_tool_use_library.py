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
        {"name": "f", "parameters": {"type": "object", "properties": {"a": {"type": "str1ng"}}}}
    )
    assert "invalid JSON Schema at properties/a/type" in bad
    assert "not in properties" in schema_problem(
        {"name": "f", "parameters": {"type": "object", "required": ["z"]}}
    )
    assert "type object" in schema_problem({"name": "f", "parameters": {"type": "array"}})


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
    assert [e.id for e in entries] == ["g"] and entries[0].category == "test_cat"
    assert [e.split(": ")[0] for e in errors] == [f"{f}:2", f"{f}:3", f"{f}:4"]
    assert (
        "malformed_json" in errors[0]
        and "not in properties" in errors[1]
        and "properties/a/type" in errors[2]
    )


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
    assert (v.passed, v.reason) == (False, "wrong_type")
    entry.ground_truth = [{"spotify.pause": {}}]
    assert seed_verdicts(entry, ground_truth_calls(entry))[-1].reason == "unknown_tool"
    entry.ground_truth = []
    assert seed_verdicts(entry, [])[0].reason == "no_ground_truth"


def test_all_shared_bfcl_sets(shared):
    errors: list[str] = []
    entries = [e for f in bfcl_files([shared]) for e in load_bfcl(f, errors)]
    assert len(entries) == 800 and errors == []
    bad = {e.id: v.reason for e in entries for v in seed_verdicts(e, ground_truth_calls(e)) if not v.passed}
    assert bad == {}  # with schema-aware picking every ground-truth call matches its normalised schema
