"""Parsing raw EXAONE agent text into calls, and checking calls against schemas (pure functions)."""

from __future__ import annotations

import pytest

from generators.tool_use.calls import check_call, parse_agent_output
from generators.tool_use.envs.shop import TOOLS
from generators.tool_use.library import normalise_tool
from schemas import ToolCall

SHOP = {t["name"]: t for t in TOOLS}


def test_parse_reasoning_text_and_parallel_calls():
    text = (
        "<think>\nneed two lookups\n</think>\n\nLet me check."
        '<tool_call>{"name": "get_order", "arguments": {"order_id": "o_5001"}}</tool_call>'
        '<tool_call>{"name": "get_order", "arguments": {"order_id": "o_5002"}}</tool_call>[|endofturn|]\n'
    )
    step = parse_agent_output(text, step=3)
    assert step.reasoning == "need two lookups" and step.content == "Let me check."
    assert [(c.id, c.arguments["order_id"]) for c in step.calls] == [
        ("call_3_0", "o_5001"),
        ("call_3_1", "o_5002"),
    ]
    assert step.malformed == []


def test_parse_empty_think_and_arguments_given_as_json_string():
    step = parse_agent_output(
        '<think>\n\n</think>\n\n<tool_call>{"name": "get_user", "arguments": "{\\"user_id\\": \\"u_101\\"}"}</tool_call>'
    )
    assert step.reasoning is None and step.calls[0].arguments == {"user_id": "u_101"}


@pytest.mark.parametrize("raw, why", [
    ('<tool_call>{"name": "get_user", "arguments": {"user_id": "u_101"}</tool_call>', "Expecting ','"),
    ('<tool_call>{"name": "get_user", "arguments": {"user_id": "u_101"}}', "unterminated"),
    ('<tool_call>["get_user"]</tool_call>', "expected"),
    ('<tool_call>{"name": "", "arguments": {}}</tool_call>', "expected"),
    ('<tool_call>{"name": "get_user", "arguments": [1]}</tool_call>', "expected"),
])  # fmt: skip
def test_malformed_calls_are_reported_not_raised(raw, why):
    step = parse_agent_output("<think>\n\n</think>\n\n" + raw)
    assert step.calls == []
    assert [p.reason for p in step.malformed] == ["malformed_json"] and why in step.malformed[0].message


@pytest.mark.parametrize("name, args, rule", [
    ("get_order", {"order_id": "o_5001"}, None),
    ("drop_table", {}, "unknown_function:drop_table"),
    ("cancel_order", {"order_id": "o_5001"}, "missing_required:reason"),
    ("get_order", {"order_id": 5001}, "wrong_type:order_id:string"),
    ("place_order", {"user_id": "u_1", "items": [{"product_id": "p_1", "quantity": 1.5}]},
     "wrong_type:items/0/quantity:integer"),
    ("cancel_order", {"order_id": "o_5001", "reason": "bored"}, "not_in_enum:reason"),
    ("get_order", {"order_id": "o_5001", "verbose": True}, "undeclared_argument:verbose"),
    ("place_order", {"user_id": "u_1", "items": []}, "schema_violation:items:minItems"),
])  # fmt: skip
def test_check_call_rules(name, args, rule):
    problem = check_call(ToolCall(name=name, arguments=args), SHOP)
    assert (problem.rule if problem else None) == rule
    if problem:  # the reason is the rule's class, and the message says where
        assert problem.reason == rule.split(":")[0] and problem.message


def test_missing_required_wins_over_other_errors():
    problem = check_call(ToolCall(name="cancel_order", arguments={"reason": "bored"}), SHOP)
    assert problem.rule == "missing_required:order_id" and "order_id" in problem.message


def bfcl_tool(properties: dict, required: list | None = None, name: str = "f") -> dict[str, dict]:
    fn = {"name": name, "parameters": {"type": "dict", "properties": properties, "required": required or []}}
    return {name: normalise_tool(fn)}


def test_undeclared_argument_rejected_on_bfcl_schema_that_says_nothing():
    # BFCL schemas never say additionalProperties; plain jsonschema would accept the extra argument
    tools = bfcl_tool({"city": {"type": "string"}}, ["city"])
    assert check_call(ToolCall(name="f", arguments={"city": "Seoul"}), tools) is None
    p = check_call(ToolCall(name="f", arguments={"city": "Seoul", "units": "metric"}), tools)
    assert p.rule == "undeclared_argument:units"


def test_schema_that_allows_extra_arguments_keeps_them():
    fn = {"name": "f", "parameters": {"type": "object", "properties": {"a": {"type": "string"}},
                                       "additionalProperties": {"type": "integer"}}}  # fmt: skip
    tools = {"f": normalise_tool(fn)}
    assert check_call(ToolCall(name="f", arguments={"a": "x", "b": 2}), tools) is None
    assert (
        check_call(ToolCall(name="f", arguments={"a": "x", "b": "2"}), tools).rule == "wrong_type:b:integer"
    )


def test_free_form_map_keeps_its_keys_but_declared_nested_objects_are_strict():
    tools = bfcl_tool({"params": {"type": "HashMap", "description": "any keys"},
                       "opts": {"type": "dict", "properties": {"depth": {"type": "long"}}}})  # fmt: skip
    assert check_call(ToolCall(name="f", arguments={"params": {"limit": 50, "x": "y"}}), tools) is None
    p = check_call(ToolCall(name="f", arguments={"opts": {"depth": 2, "color": "red"}}), tools)
    assert p.rule == "undeclared_argument:opts/color"


@pytest.mark.parametrize("bfcl_type, good, bad, expected", [
    ("String", "abc", 3, "string"), ("Boolean", True, 1, "boolean"), ("long", 7, 7.5, "integer"),
    ("double", 2.5, "x y", "number"), ("char", "c", 1, "string"), ("HashMap", {"k": 1}, [1], "object"),
    ("ArrayList", [1, 2], {"a": 1}, "array"), ("Array", [], 5, "array"), ("tuple", [1, "a"], "a b", "array"),
    ("Bigint", 10**20, 1.5, "integer"), ("float", 3, True, "number"), ("dict", {}, "no", "object"),
])  # fmt: skip
def test_bfcl_python_java_javascript_type_names(bfcl_type, good, bad, expected):
    tools = bfcl_tool({"a": {"type": bfcl_type}}, ["a"])
    assert check_call(ToolCall(name="f", arguments={"a": good}), tools) is None
    assert check_call(ToolCall(name="f", arguments={"a": bad}), tools).rule == f"wrong_type:a:{expected}"


def test_any_and_missing_type_accept_every_value():
    tools = bfcl_tool({"a": {"type": "any"}, "b": {"type": ""}})
    assert check_call(ToolCall(name="f", arguments={"a": [1, {"x": None}], "b": 3}), tools) is None


def test_unknown_type_is_a_verdict_not_an_exception():
    tools = bfcl_tool({"m": {"type": "matrix"}, "n": {"type": "integer"}})
    p = check_call(ToolCall(name="f", arguments={"m": [[1, 0], [0, 1]]}), tools)
    assert (p.reason, p.rule) == ("unknown_type", "unknown_type:matrix") and "m:" in p.message
    assert check_call(ToolCall(name="f", arguments={"n": 1}), tools) is None  # not passed: nothing to judge


def test_enum_on_an_array_applies_to_its_items():
    # BFCL live_multiple get_sensor_readings_latest: "metrics": {"type": "array", "items": {...}, "enum": [...]}
    tools = bfcl_tool(
        {"metrics": {"type": "array", "items": {"type": "string"}, "enum": ["temperature", "co2"]}}
    )
    assert check_call(ToolCall(name="f", arguments={"metrics": ["temperature", "co2"]}), tools) is None
    p = check_call(ToolCall(name="f", arguments={"metrics": ["temperature", "pressure"]}), tools)
    assert p.rule == "not_in_enum:metrics/1"


def test_java_and_javascript_arguments_may_be_code_expressions():
    # BFCL simple_javascript_2: "processFunction" (a variable) for a function-typed argument; simple_java_35:
    # "user:online:both" for an Array: BFCL's checker reads a string for a non-string type as code
    tools = bfcl_tool({"status": {"type": "array", "items": {"type": "String"}}, "flag": {"type": "Boolean"},
                       "name": {"type": "String"}})  # fmt: skip
    ref = ToolCall(name="f", arguments={"status": "statusList", "flag": "this.props.enabled"})
    assert check_call(ref, tools, language="javascript") is None
    assert check_call(ref, tools, language="java") is None
    assert check_call(ref, tools).rule == "wrong_type:flag:boolean"  # Python/JSON: a string is a string
    wrong = ToolCall(name="f", arguments={"status": ["ok"], "flag": True, "name": 42})  # not a code string
    assert check_call(wrong, tools, language="javascript").rule == "wrong_type:name:string"
    extra = ToolCall(name="f", arguments={"status": "s", "verbose": "v"})
    assert check_call(extra, tools, language="javascript").rule == "undeclared_argument:verbose"


def test_anyof_is_judged_by_its_best_branch():
    fn = {"name": "f", "parameters": {"type": "object", "properties": {
        "when": {"anyOf": [{"type": "string", "enum": ["now", "later"]}, {"type": "integer"}]}}}}  # fmt: skip
    tools = {"f": normalise_tool(fn)}
    assert check_call(ToolCall(name="f", arguments={"when": 5}), tools) is None
    assert check_call(ToolCall(name="f", arguments={"when": "soon"}), tools).rule == "not_in_enum:when"


def _all_bfcl_calls(roots):
    from bench.quality.tools import perturbations
    from generators.tool_use.bfcl_seeds import ground_truth_calls
    from generators.tool_use.library import bfcl_files, load_bfcl

    errors: list[str] = []
    files = bfcl_files(roots) + sorted((roots[0] / "tools/bfcl_java_js").glob("BFCL_*.json"))
    for e in [e for f in files for e in load_bfcl(f, errors)]:
        tools = {t["name"]: t for t in e.tools}
        for call in ground_truth_calls(e):
            yield call, tools, e.language, None
            for _, bad, rule in perturbations(call, tools[call.name]["parameters"]):
                yield bad, tools, e.language, rule


def test_compiled_checker_and_jsonschema_give_the_same_rule(examples):
    """Every embedded BFCL gold call (must pass) and each of its perturbations (must break exactly its rule):
    the compiled subset checker and the jsonschema path agree, rule and message."""
    from datamill.demo_data import shared_data

    roots = [examples] + ([shared_data()] if shared_data() else [])
    n = 0
    for call, tools, language, rule in _all_bfcl_calls(roots):
        fast = check_call(call, tools, language)
        slow = check_call(call, tools, language, via_jsonschema=True)
        assert (fast.rule if fast else None) == (slow.rule if slow else None) == rule, (call, language)
        assert (fast.message if fast else None) == (slow.message if slow else None)
        n += 1
    assert n > 1000


@pytest.mark.parametrize("name, args", [
    ("get_order", {"order_id": "o_5001"}), ("cancel_order", {"order_id": 5, "reason": "bored", "x": 1}),
    ("place_order", {"user_id": "u_1", "items": [{"product_id": "p_1", "quantity": True}]}),
    ("place_order", {"user_id": "u_1", "items": []}),
])  # fmt: skip
def test_environment_schemas_same_rule_either_way(name, args):
    fast = check_call(ToolCall(name=name, arguments=args), SHOP)
    slow = check_call(ToolCall(name=name, arguments=args), SHOP, via_jsonschema=True)
    assert (fast and fast.rule) == (slow and slow.rule)


def test_unknown_function_names_its_rule_and_the_tools_of_its_own_tool_set():
    from generators.tool_use.calls import error_feedback

    call = ToolCall(name="drop_table", arguments={})
    first = check_call(call, SHOP)
    assert first is check_call(
        ToolCall(name="drop_table", arguments={"x": 1}), SHOP
    )  # made once per tool set
    assert (first.reason, first.rule, first.index) == ("unknown_function", "unknown_function:drop_table", 0)
    assert "get_order" in first.message and error_feedback(first)["rule"] == "unknown_function:drop_table"
    other = bfcl_tool({"city": {"type": "string"}}, name="weather")
    p = check_call(call, other)  # another tool set: its own problem, its own known tools
    assert p is not first and p.rule == first.rule and "weather" in p.message and "get_order" not in p.message
    assert "get_order" in check_call(call, SHOP).message
    grown = dict(other, drop_table=SHOP["get_order"])  # looked up first: a name the tool set gains is a tool
    assert check_call(ToolCall(name="drop_table", arguments={"order_id": "o_1"}), grown) is None
