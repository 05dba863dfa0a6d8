"""The EXAONE 4.0 chat format: render OpenAI-style messages to text and parse it back.

[|system|]\n…[|endofturn|]\n — tools listed as JSON inside <tool>…</tool> in the system turn;
[|assistant|]\n<think>\n…\n</think>\n\n answer — an empty <think>\n\n</think>\n\n in non-reasoning mode;
calls as <tool_call>{"name": …, "arguments": {…}}</tool_call>; results in a [|tool|] turn as
<tool_result>{"result": …}</tool_result>. (DESIGN.md "Model facts"; EXAONE 4.0 report, arXiv 2507.11407.)

`render_exaone_chat` also returns the character spans that are trained on (assistant turns only).
`split_thought` is the one rule for splitting a model response into its thought and its final part.
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal

from schemas.message import Message, ToolCall

ROLE_MARK = {
    "system": "[|system|]\n",
    "user": "[|user|]\n",
    "assistant": "[|assistant|]\n",
    "tool": "[|tool|]\n",
}
END = "[|endofturn|]\n"
SPECIAL_TOKENS = ["[|system|]", "[|user|]", "[|assistant|]", "[|tool|]", "[|endofturn|]",
                  "<think>", "</think>", "<tool_call>", "</tool_call>", "<tool_result>", "</tool_result>",
                  "<tool>", "</tool>"]  # fmt: skip


# EXAONE 4.0 wraps reasoning in <think>…</think>; EXAONE Deep used <thought>…</thought> (DESIGN.md)
THOUGHT_TAGS = (("<think>", "</think>"), ("<thought>", "</thought>"))
SplitMode = Literal["response", "structured"]


def split_thought(text: str, mode: SplitMode = "response") -> tuple[str, str | None]:
    """(thought, final part) of a model's text, as written (not stripped); ("", text) when it has no thought.

    A closing tag without its opening one is a prefilled `<think>` (the chat template wrote it into the prompt).
    - mode="response": a response judged by its final part (verifiers, checks, stored answers). The final part
      follows the *last* closing tag; a thought opened (or opened again after a close) and never closed means the
      response was cut off mid-thought, so it has no final part at all: None.
    - mode="structured": the final part is content the caller parses (tool calls of an agent step, a rendered
      chat turn), whose arguments may hold any text, tags included. The thought ends at the *first* closing tag
      and the rest is kept as it is; an unclosed thought leaves the text unsplit: ("", text)."""
    for open_tag, close_tag in THOUGHT_TAGS:
        if close_tag not in text:
            continue
        if mode == "structured":
            thought, final = text.split(close_tag, 1)
        else:
            thought, final = text.rsplit(close_tag, 1)
            if open_tag in final:  # a second thought opened after the last close and never closed: cut off
                return thought.split(open_tag, 1)[-1] + final, None
        return thought.split(open_tag, 1)[-1], final
    for open_tag, _ in THOUGHT_TAGS:
        if open_tag in text:
            return ("", text) if mode == "structured" else (text.split(open_tag, 1)[1], None)
    return "", text


def reasoning_and_answer(text: str, mode: SplitMode = "response") -> tuple[str | None, str | None]:
    """`split_thought` stripped, as an assistant Message holds it: (reasoning_content, or None when there is no
    thought or it is empty; content, or None when a response was cut off mid-thought)."""
    thought, final = split_thought(text, mode)
    return thought.strip() or None, None if final is None else final.strip()


def _json(v: Any) -> str:
    return json.dumps(v, ensure_ascii=False)


def _tool_block(tools: list[dict]) -> str:
    return "".join(f"<tool>{_json(t)}</tool>\n" for t in tools)


def _assistant_body(m: Message, reasoning: bool) -> str:
    think = m.reasoning_content if m.reasoning_content is not None else ""
    out = f"<think>\n{think}\n</think>\n\n" if (reasoning and think) else "<think>\n\n</think>\n\n"
    out += m.content
    for c in m.tool_calls:
        out += f"<tool_call>{_json({'name': c.name, 'arguments': c.arguments})}</tool_call>"
    return out


def _tool_result(content: str) -> str:
    try:
        value = json.loads(content)
    except (json.JSONDecodeError, TypeError):
        value = content
    return f"<tool_result>{_json({'result': value})}</tool_result>"


def render_exaone_chat(
    messages: list[Message], tools: list[dict] | None = None, reasoning: bool = True
) -> tuple[str, list[tuple[int, int]]]:
    """Return (text, trained_spans). Spans cover each assistant turn after its role marker, end marker included.

    `reasoning=False` renders every assistant turn with the empty think block (non-reasoning mode).
    """
    tools = tools or []
    parts: list[str] = []
    spans: list[tuple[int, int]] = []
    pos = 0
    msgs = list(messages)
    if tools and (not msgs or msgs[0].role != "system"):
        msgs.insert(0, Message(role="system", content=""))
    for i, m in enumerate(msgs):
        head = ROLE_MARK[m.role]
        if m.role == "system":
            body = m.content + (("\n" if m.content else "") + _tool_block(tools) if i == 0 and tools else "")
        elif m.role == "assistant":
            body = _assistant_body(m, reasoning)
        elif m.role == "tool":
            body = _tool_result(m.content)
        else:
            body = m.content
        turn = head + body + END
        if m.role == "assistant":
            spans.append((pos + len(head), pos + len(turn)))
        parts.append(turn)
        pos += len(turn)
    return "".join(parts), spans


_TURN = re.compile(r"\[\|(system|user|assistant|tool)\|\]\n(.*?)\[\|endofturn\|\]\n", re.DOTALL)
_CALL = re.compile(r"<tool_call>(.*?)</tool_call>", re.DOTALL)
_TOOL = re.compile(r"<tool>(.*?)</tool>\n?", re.DOTALL)
_RESULT = re.compile(r"^<tool_result>(.*)</tool_result>$", re.DOTALL)


def parse_exaone_chat(text: str) -> tuple[list[Message], list[dict]]:
    """Parse rendered EXAONE chat text back into (messages, tools). Raises ValueError on malformed text."""
    messages: list[Message] = []
    tools: list[dict] = []
    end = 0
    for n, match in enumerate(_TURN.finditer(text)):
        if match.start() != end:
            raise ValueError(f"unparsed text at char {end}: {text[end : match.start()][:60]!r}")
        end = match.end()
        role, body = match.group(1), match.group(2)
        if role == "system":
            if n == 0:
                tools = [json.loads(t) for t in _TOOL.findall(body)]
                body = _TOOL.sub("", body)
                body = body[:-1] if tools and body.endswith("\n") else body
            if body == "" and tools and n == 0:
                continue
            messages.append(Message(role="system", content=body))
        elif role == "assistant":
            # rendered as "<think>\n{reasoning}\n</think>\n\n{content}" (an empty think block without reasoning)
            thought, final = split_thought(body, mode="structured")
            reasoning = None
            if (
                body.startswith("<think>\n")
                and final is not None
                and final != body
                and final.startswith("\n\n")
            ):
                reasoning, body = thought[1:].removesuffix("\n") or None, final[2:]
            calls = []
            for k, raw in enumerate(_CALL.findall(body)):
                obj = json.loads(raw)
                calls.append(
                    ToolCall(
                        id=f"call_{len(messages)}_{k}", name=obj["name"], arguments=obj.get("arguments") or {}
                    )
                )
            content = _CALL.sub("", body)
            messages.append(
                Message(role="assistant", content=content, reasoning_content=reasoning, tool_calls=calls)
            )
        elif role == "tool":
            m = _RESULT.match(body)
            if not m:
                raise ValueError(f"tool turn without <tool_result> at char {match.start()}")
            value = json.loads(m.group(1))["result"]
            messages.append(Message(role="tool", content=value if isinstance(value, str) else _json(value)))
        else:
            messages.append(Message(role=role, content=body))
    if end != len(text):
        raise ValueError(f"unparsed text at char {end}: {text[end:][:60]!r}")
    return messages, tools
