"""Round trip: OpenAI-style messages → EXAONE chat text → parse_exaone_chat → the same calls and results."""

from __future__ import annotations

import json

from generators.tool_use.calls import parse_agent_output
from generators.tool_use.envs import ENVIRONMENTS
from generators.tool_use.job import load_tasks
from generators.tool_use.rollout import TrajectoryRunner, tool_block
from schemas import Message, ToolCall, parse_exaone_chat, render_exaone_chat


def _calls(messages):
    return [[(c.name, c.arguments) for c in m.tool_calls] for m in messages if m.role == "assistant"]


def _results(messages):
    return [json.loads(m.content) for m in messages if m.role == "tool"]


def test_reference_trajectories_round_trip():
    trajs = TrajectoryRunner().run(
        [(t, m) for t in load_tasks(["shop", "travel"]) for m in ("reasoning", "non_reasoning")]
    )
    for t in trajs:
        msgs, tools = [t.system] + t.messages, ENVIRONMENTS[t.task.env].TOOLS
        text, spans = render_exaone_chat(msgs, tools, reasoning=t.mode == "reasoning")
        back, back_tools = parse_exaone_chat(text)
        assert back_tools == tools
        assert _calls(back) == _calls(msgs) and _results(back) == _results(msgs)
        assert [m.role for m in back] == [m.role for m in msgs]
        assert [m.reasoning_content for m in back] == [m.reasoning_content for m in msgs]
        assert len(spans) == sum(m.role == "assistant" for m in msgs)
        for (a, b), m in zip(
            spans, [m for m in msgs if m.role == "assistant"]
        ):  # each trained span re-parses
            step = parse_agent_output(text[a:b])
            assert [(c.name, c.arguments) for c in step.calls] == [
                (c.name, c.arguments) for c in m.tool_calls
            ]


def test_parallel_calls_with_unicode_and_nested_args_round_trip():
    calls = [ToolCall(id="call_a", name="place_order", arguments={"user_id": "u_101", "items": [{"product_id": "p_1", "quantity": 2}]}),
             ToolCall(id="call_b", name="search_products", arguments={"query": "커피 세트", "max_price": 30.5})]  # fmt: skip
    msgs = [Message(role="user", content="주문해 주세요"),
            Message(role="assistant", content="", reasoning_content="두 가지를 동시에", tool_calls=calls),
            Message(role="tool", tool_call_id="call_a", name="place_order", content='{"order_id": "o_5008"}'),
            Message(role="tool", tool_call_id="call_b", name="search_products", content="[]"),
            Message(role="assistant", content="완료했습니다.")]  # fmt: skip
    tools = ENVIRONMENTS["shop"].TOOLS
    back, back_tools = parse_exaone_chat(render_exaone_chat(msgs, tools)[0])
    assert _calls(back) == _calls(msgs) and _results(back) == [{"order_id": "o_5008"}, []]
    assert back[-1].content == "완료했습니다." and back_tools == tools


def test_agent_prompt_renders_tools_exactly_like_render_exaone_chat():
    t = TrajectoryRunner().start(load_tasks(["shop"])[0], "reasoning")
    tools = ENVIRONMENTS["shop"].TOOLS
    engine_view = render_exaone_chat(TrajectoryRunner.agent_prompt(t))[0]
    assert engine_view == render_exaone_chat([t.system] + t.messages, tools)[0]
    assert tool_block(tools).count("<tool>") == len(tools)


def _from_openai(d: dict) -> Message:
    calls = [ToolCall(id=c["id"], name=c["function"]["name"], arguments=json.loads(c["function"]["arguments"]))
             for c in d.get("tool_calls") or []]  # fmt: skip
    return Message(role=d["role"], content=d.get("content") or "", tool_calls=calls,
                   tool_call_id=d.get("tool_call_id"), name=d.get("name"))  # fmt: skip


def test_openai_wire_format_round_trip():
    """Chat-completions messages (arguments as a JSON string) → EXAONE text → parsed → the same calls."""
    wire = [
        {"role": "user", "content": "Cancel o_5002 and tell me the status of o_5001."},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_1", "type": "function",
             "function": {"name": "cancel_order", "arguments": '{"order_id": "o_5002", "reason": "changed_mind"}'}},
            {"id": "call_2", "type": "function", "function": {"name": "get_order", "arguments": '{"order_id": "o_5001"}'}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": '{"status": "cancelled"}'},
        {"role": "tool", "tool_call_id": "call_2", "content": '{"status": "delivered"}'},
        {"role": "assistant", "content": "o_5002 is cancelled; o_5001 was delivered."},
    ]  # fmt: skip
    msgs = [_from_openai(d) for d in wire]
    text, _ = render_exaone_chat(msgs, ENVIRONMENTS["shop"].TOOLS, reasoning=False)
    assert (
        '<tool_call>{"name": "cancel_order", "arguments": {"order_id": "o_5002", "reason": "changed_mind"}}</tool_call>'
        in text
    )
    back, _ = parse_exaone_chat(text)
    want = [[(c["function"]["name"], json.loads(c["function"]["arguments"])) for c in d.get("tool_calls") or []]
            for d in wire if d["role"] == "assistant"]  # fmt: skip
    assert _calls(back) == want and _results(back) == [{"status": "cancelled"}, {"status": "delivered"}]
