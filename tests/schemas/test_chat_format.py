"""EXAONE 4.0 chat rendering: reasoning, non-reasoning, tool calls and tool results, and parsing back."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schemas import Message, ToolCall, parse_exaone_chat, render_exaone_chat
from schemas.chat_format import reasoning_and_answer, split_thought

TOOLS = [
    {
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    }
]


def test_reasoning_turn_has_think_block_and_trained_span():
    msgs = [
        Message(role="user", content="2+2?"),
        Message(role="assistant", content="4", reasoning_content="two plus two"),
    ]
    text, spans = render_exaone_chat(msgs)
    assert (
        text
        == "[|user|]\n2+2?[|endofturn|]\n[|assistant|]\n<think>\ntwo plus two\n</think>\n\n4[|endofturn|]\n"
    )
    assert [text[a:b] for a, b in spans] == ["<think>\ntwo plus two\n</think>\n\n4[|endofturn|]\n"]


def test_non_reasoning_turn_has_empty_think():
    msgs = [
        Message(role="system", content="Be brief."),
        Message(role="user", content="Hi"),
        Message(role="assistant", content="Hello!", reasoning_content="ignored in non-reasoning mode"),
    ]
    text, spans = render_exaone_chat(msgs, reasoning=False)
    assert "[|system|]\nBe brief.[|endofturn|]\n" in text
    assert text.endswith("[|assistant|]\n<think>\n\n</think>\n\nHello![|endofturn|]\n")
    assert "ignored" not in text and len(spans) == 1


def test_tool_call_and_result_turns_roundtrip():
    msgs = [
        Message(role="user", content="Weather in Seoul and Madrid?"),
        Message(
            role="assistant",
            content="",
            reasoning_content="need two calls",
            tool_calls=[
                ToolCall(name="get_weather", arguments={"city": "Seoul"}),
                ToolCall(name="get_weather", arguments={"city": "Madrid"}),
            ],
        ),
        Message(role="tool", content=json.dumps({"temp_c": 3}), tool_call_id="call_1_0"),
        Message(role="tool", content="sunny", tool_call_id="call_1_1"),
        Message(role="assistant", content="Seoul 3°C, Madrid sunny."),
    ]
    text, spans = render_exaone_chat(msgs, tools=TOOLS)
    assert text.startswith("[|system|]\n<tool>" + json.dumps(TOOLS[0], ensure_ascii=False) + "</tool>\n")
    assert '<tool_call>{"name": "get_weather", "arguments": {"city": "Seoul"}}</tool_call>' in text
    assert '[|tool|]\n<tool_result>{"result": {"temp_c": 3}}</tool_result>[|endofturn|]\n' in text
    assert '[|tool|]\n<tool_result>{"result": "sunny"}</tool_result>' in text
    assert len(spans) == 2 and all("[|tool|]" not in text[a:b] for a, b in spans)
    back, tools = parse_exaone_chat(text)
    assert tools == TOOLS
    assert [(c.name, c.arguments) for c in back[1].tool_calls] == [
        ("get_weather", {"city": "Seoul"}),
        ("get_weather", {"city": "Madrid"}),
    ]
    assert back[1].reasoning_content == "need two calls"
    assert [m.content for m in back if m.role == "tool"] == ['{"temp_c": 3}', "sunny"]
    assert back[-1].content == "Seoul 3°C, Madrid sunny."


def test_korean_text_is_kept_verbatim():
    msgs = [
        Message(role="user", content="대한민국의 수도는?"),
        Message(role="assistant", content="서울입니다."),
    ]
    text, _ = render_exaone_chat(msgs, reasoning=False)
    back, _ = parse_exaone_chat(text)
    assert back[0].content == "대한민국의 수도는?" and back[1].content == "서울입니다."


def test_parse_rejects_garbage_with_position():
    import pytest

    with pytest.raises(ValueError, match="unparsed text at char 0"):
        parse_exaone_chat("hello [|user|]\nhi[|endofturn|]\n")


# -- the one thought splitter ------------------------------------------------------------------------------------


def test_a_response_is_judged_by_what_follows_its_last_thought():
    assert split_thought("<think>\nplan\n</think>\n\nAnswer: 3") == ("\nplan\n", "\n\nAnswer: 3")
    assert split_thought("plan (template prefilled <think>)</think>\nAnswer: 3")[1] == "\nAnswer: 3"
    assert split_thought("<thought>EXAONE Deep</thought>42") == ("EXAONE Deep", "42")
    assert split_thought("no thought at all") == ("", "no thought at all")
    assert split_thought("<think>a</think>b</think>c")[1] == "c"  # the answer after the last close


@pytest.mark.parametrize(
    "text", ["<think>\nstill thinking, $\\boxed{3}$", "<think>a</think>b<think>c", "<thought>cut off"]
)
def test_a_response_cut_off_mid_thought_has_no_final_part(text):
    thought, final = split_thought(text)
    assert final is None and thought  # the thought is kept for audit
    assert reasoning_and_answer(text)[1] is None


def test_structured_text_ends_its_thought_at_the_first_close_and_keeps_the_rest():
    step = '<think>\nlook up\n</think>\n\n<tool_call>{"name": "f", "arguments": {"q": "</think> or <think>"}}</tool_call>'
    assert split_thought(step, "structured") == ("\nlook up\n", step.split("</think>", 1)[1])
    assert (
        split_thought(step)[1] is None
    )  # read as a response, the <think> in the argument looks like a new thought
    assert split_thought("<think>\ncut", "structured") == (
        "",
        "<think>\ncut",
    )  # unsplit: the caller sees it all


def test_reasoning_and_answer_strips_and_says_none():
    assert reasoning_and_answer("<think>\n\n</think>\n\n 4 ") == (None, "4")
    assert reasoning_and_answer("<think>\ntwo and two\n</think>\n\n4") == ("two and two", "4")
    assert reasoning_and_answer(" 4 ") == (None, "4")


untagged = st.text().filter(lambda t: "think>" not in t and "thought>" not in t)


@given(untagged, untagged)
def test_any_thought_and_final_part_split_back_in_both_modes(thought, final):
    text = f"<think>{thought}</think>{final}"
    assert split_thought(text, "structured") == split_thought(text) == (thought, final)


def test_tool_arguments_holding_think_tags_round_trip():
    msgs = [
        Message(role="user", content="q"),
        Message(
            role="assistant",
            content="",
            reasoning_content="plan",
            tool_calls=[ToolCall(name="note", arguments={"text": "<think> and </think>"})],
        ),
    ]
    back, _ = parse_exaone_chat(render_exaone_chat(msgs)[0])
    assert back[1].reasoning_content == "plan" and back[1].content == ""
    assert back[1].tool_calls[0].arguments == {"text": "<think> and </think>"}
