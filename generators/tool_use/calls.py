"""Pure parts of tool calling: parse an agent's raw EXAONE text into calls, and check a call against its schema.

Agent text (EXAONE 4.0): optional `<think>\\n…\\n</think>\\n\\n`, free text, then zero or more
`<tool_call>{"name": …, "arguments": {…}}</tool_call>` (several = parallel calls in one step).
Reasons (snake_case, used as verdict reasons): malformed_json, unknown_tool, missing_required_arg, wrong_type,
bad_enum, unexpected_arg, schema_violation (any other JSON-Schema keyword, e.g. pattern or minimum).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from jsonschema import Draft202012Validator

from schemas import ToolCall

_THINK = re.compile(r"^\s*<think>\n?(.*?)\n?</think>\s*", re.DOTALL)
_CALL = re.compile(r"<tool_call>(.*?)(</tool_call>|$)", re.DOTALL)
_END = "[|endofturn|]"

# JSON-Schema keyword that failed → our reason. Order matters when several fail: the first listed wins.
KEYWORD_REASON = {
    "required": "missing_required_arg",
    "type": "wrong_type",
    "enum": "bad_enum",
    "const": "bad_enum",
    "additionalProperties": "unexpected_arg",
}


@dataclass
class CallProblem:
    index: int  # position of the <tool_call> in the step
    reason: str
    message: str
    raw: str = ""


@dataclass
class AgentStep:
    """One parsed agent output: reasoning, visible text, well-formed calls and the malformed ones."""

    reasoning: str | None
    content: str
    calls: list[ToolCall] = field(default_factory=list)
    malformed: list[CallProblem] = field(default_factory=list)


def parse_agent_output(text: str, step: int = 0) -> AgentStep:
    """Split raw agent text into reasoning, content and calls. Never raises: bad calls land in `malformed`."""
    text = text.split(_END, 1)[0]
    reasoning = None
    m = _THINK.match(text)
    if m:
        reasoning = m.group(1).strip() or None
        text = text[m.end() :]
    calls, malformed = [], []
    for k, cm in enumerate(_CALL.finditer(text)):
        raw = cm.group(1).strip()
        if not cm.group(2):
            malformed.append(CallProblem(k, "malformed_json", "unterminated <tool_call>", raw))
            continue
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as e:
            malformed.append(CallProblem(k, "malformed_json", f"{e.msg} at char {e.pos}", raw))
            continue
        args = obj.get("arguments", {}) if isinstance(obj, dict) else None
        if isinstance(args, str):  # OpenAI-style arguments as a JSON string
            try:
                args = json.loads(args)
            except json.JSONDecodeError as e:
                malformed.append(CallProblem(k, "malformed_json", f"arguments string: {e.msg}", raw))
                continue
        if (
            not isinstance(obj, dict)
            or not isinstance(obj.get("name"), str)
            or not obj["name"]
            or not isinstance(args, dict)
        ):
            malformed.append(
                CallProblem(k, "malformed_json", 'expected {"name": str, "arguments": object}', raw)
            )
            continue
        calls.append(ToolCall(id=f"call_{step}_{k}", name=obj["name"], arguments=args))
    content = _CALL.sub("", text).strip()
    return AgentStep(reasoning=reasoning, content=content, calls=calls, malformed=malformed)


def _validator(parameters: dict) -> Draft202012Validator:
    return Draft202012Validator(parameters)


def check_call(call: ToolCall, tools: dict[str, dict]) -> CallProblem | None:
    """None when `call` names a known tool and its arguments match that tool's parameter schema."""
    spec = tools.get(call.name)
    if spec is None:
        return CallProblem(0, "unknown_tool", f"no tool named {call.name!r}; known: {sorted(tools)[:20]}")
    errors = list(_validator(spec.get("parameters") or {"type": "object"}).iter_errors(call.arguments))
    if not errors:
        return None
    order = list(KEYWORD_REASON)
    errors.sort(
        key=lambda e: (order.index(e.validator) if e.validator in order else len(order), list(e.path))
    )
    e = errors[0]
    where = "/".join(str(p) for p in e.absolute_path) or "arguments"
    return CallProblem(0, KEYWORD_REASON.get(e.validator, "schema_violation"), f"{where}: {e.message}")


def error_feedback(problem: CallProblem) -> dict:
    """What the environment answers to a call it could not run (the agent sees this as the tool result)."""
    return {"error": problem.reason, "message": problem.message}
