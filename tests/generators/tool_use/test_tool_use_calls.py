"""Parsing raw EXAONE agent text into calls, and checking calls against schemas (pure functions)."""

from __future__ import annotations

import pytest

from generators.tool_use.calls import check_call, parse_agent_output
from generators.tool_use.envs.shop import TOOLS
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


@pytest.mark.parametrize("name, args, reason", [
    ("get_order", {"order_id": "o_5001"}, None),
    ("drop_table", {}, "unknown_tool"),
    ("cancel_order", {"order_id": "o_5001"}, "missing_required_arg"),
    ("get_order", {"order_id": 5001}, "wrong_type"),
    ("place_order", {"user_id": "u_1", "items": [{"product_id": "p_1", "quantity": 1.5}]}, "wrong_type"),
    ("cancel_order", {"order_id": "o_5001", "reason": "bored"}, "bad_enum"),
    ("get_order", {"order_id": "o_5001", "verbose": True}, "unexpected_arg"),
    ("place_order", {"user_id": "u_1", "items": []}, "schema_violation"),  # minItems
])  # fmt: skip
def test_check_call_reasons(name, args, reason):
    problem = check_call(ToolCall(name=name, arguments=args), SHOP)
    assert (problem.reason if problem else None) == reason


def test_missing_required_wins_over_other_errors():
    problem = check_call(ToolCall(name="cancel_order", arguments={"reason": "bored"}), SHOP)
    assert problem.reason == "missing_required_arg" and "order_id" in problem.message
