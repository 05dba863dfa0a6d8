"""Pure parts of tool calling: parse an agent's raw EXAONE text into calls, and check a call against its schema.

Agent text (EXAONE 4.0): optional `<think>\\n…\\n</think>\\n\\n`, free text, then zero or more
`<tool_call>{"name": …, "arguments": {…}}</tool_call>` (several = parallel calls in one step).

A rejected call gets a reason (a snake_case class, used as the verdict reason and in counts) and a rule that names
what broke (details and the agent's error message):

| reason                | rule                              | JSON-Schema keyword            |
|-----------------------|-----------------------------------|--------------------------------|
| malformed_json        | malformed_json                    | (parser)                       |
| unknown_function      | unknown_function:<name>           | (no tool of that name)         |
| unknown_type          | unknown_type:<T>                  | type (a name JSON Schema lacks)|
| missing_required      | missing_required:<arg>            | required                       |
| undeclared_argument   | undeclared_argument:<arg>         | additionalProperties           |
| wrong_type            | wrong_type:<arg>:<expected>       | type                           |
| not_in_enum           | not_in_enum:<arg>                 | enum, const                    |
| schema_violation      | schema_violation:<arg>:<keyword>  | any other (minItems, pattern…) |

<arg> is the argument's path inside the arguments (`items/0/quantity`). Checking is strict by default: an object
that declares its properties rejects others (`additionalProperties: false` unless the schema says otherwise). For
Java and JavaScript tools (BFCL's simple_java / simple_javascript; `language=`), arguments are code: a string
given for a parameter of another type is a code expression standing for that value (a variable reference such
as `listElement`, or `BitOperation.AND`), exactly as BFCL's own checker reads it (bfcl_eval ast_checker
type_checker: a string where the declared type differs "is_variable"); any other wrong type is still rejected.
"""

from __future__ import annotations

import json
import re
from collections import OrderedDict
from dataclasses import dataclass, field

from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import ValidationError, best_match

from generators.tool_use.library import JSON_TYPES, normalise_schema
from generators.tool_use.schema_check import compile_schema
from schemas import ToolCall
from schemas.chat_format import reasoning_and_answer

_CALL = re.compile(r"<tool_call>(.*?)(</tool_call>|$)", re.DOTALL)
_END = "[|endofturn|]"

# Which reason wins when a call breaks several rules: the first listed, then the shallowest path, then the rule's
# text (the verdict does not depend on the order of the arguments).
REASONS = (
    "unknown_function",
    "unknown_type",
    "missing_required",
    "undeclared_argument",
    "wrong_type",
    "not_in_enum",
    "schema_violation",
)
_KEYWORD_REASON = {
    "unknown_type": "unknown_type",  # set by _type_keyword below
    "required": "missing_required",
    "additionalProperties": "undeclared_argument",
    "unevaluatedProperties": "undeclared_argument",
    "type": "wrong_type",
    "enum": "not_in_enum",
    "const": "not_in_enum",
}
SCRIPT_LANGUAGES = ("java", "javascript")  # arguments are code: a string may stand for any value
_NO_PARAMETERS: dict = {"type": "object", "properties": {}}  # a tool without parameters takes no arguments
_CACHE_SIZE = 4096  # compiled validators kept (BFCL's 800 shared entries hold ~1,000 distinct functions)


@dataclass
class CallProblem:
    index: int  # position of the <tool_call> in the step
    reason: str
    message: str
    raw: str = ""
    rule: str = ""  # what broke, e.g. "undeclared_argument:verbose" (see the table above); default = reason

    def __post_init__(self) -> None:
        self.rule = self.rule or self.reason


class UnknownFunction(CallProblem):
    """The problem of a call to a name the tool set lacks: `unknown_function:<name>`. Made on the hot path of every
    such call, so it holds the name and the tools only; rule and message (which lists the known tools) are built
    when read. Read-only: one instance may answer many calls."""

    reason = "unknown_function"
    index = 0
    raw = ""

    def __init__(self, name: str, tools: dict[str, dict]):  # no dataclass __init__: nothing is formatted here
        self.name, self.tools = name, tools

    @property
    def rule(self) -> str:
        return f"unknown_function:{self.name}"

    @property
    def message(self) -> str:
        return f"no tool named {self.name!r}; known: {list(self.tools)[:20]}"


@dataclass
class AgentStep:
    """One parsed agent output: reasoning, visible text, well-formed calls and the malformed ones."""

    reasoning: str | None
    content: str
    calls: list[ToolCall] = field(default_factory=list)
    malformed: list[CallProblem] = field(default_factory=list)


def parse_agent_output(text: str, step: int = 0) -> AgentStep:
    """Split raw agent text into reasoning, content and calls. Never raises: bad calls land in `malformed`."""
    # the calls' arguments may hold any text, tags included: the thought ends at its first closing tag
    reasoning, text = reasoning_and_answer(text.split(_END, 1)[0], mode="structured")
    text = text or ""
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


def _type_keyword(variables: bool):
    """JSON Schema `type` that gives an unknown type name its own verdict instead of jsonschema's UnknownType
    exception, and (Java/JavaScript) lets a code expression (a string) stand for a value of any type."""

    def type_(validator, types, instance, schema):
        names = types if isinstance(types, list) else [types]
        known = [t for t in names if t in JSON_TYPES]
        if any(validator.is_type(instance, t) for t in known):
            return
        if variables and isinstance(instance, str):
            return
        unknown = [t for t in names if t not in JSON_TYPES]
        if unknown:
            yield ValidationError(
                f"type {unknown[0]!r} is not a JSON Schema type: cannot check {instance!r}",
                validator="unknown_type",
                validator_value=str(unknown[0]),
            )
            return
        yield ValidationError(f"{instance!r} is not of type {', '.join(repr(t) for t in names)}")

    return type_


_STRICT = validators.extend(Draft202012Validator, {"type": _type_keyword(False)})
_SCRIPT = validators.extend(Draft202012Validator, {"type": _type_keyword(True)})
_compiled: OrderedDict[tuple[int, str], tuple[dict, object, object]] = OrderedDict()
_unknown: dict[str, UnknownFunction] = {}  # unknown name → its problem for the tool set that last asked


def _checkers(parameters: dict, language: str) -> tuple[object, object]:
    """(jsonschema validator, compiled subset checker or None) of one parameter schema, cached by the schema
    object itself (the tool dicts of a job are built once and checked against thousands of calls)."""
    key = (id(parameters), language)
    hit = _compiled.get(key)
    if hit is not None and hit[0] is parameters:
        return hit[1], hit[2]
    strict = normalise_schema(parameters, top=True)
    script = language in SCRIPT_LANGUAGES
    v = (_SCRIPT if script else _STRICT)(strict)
    fast = compile_schema(strict, script)
    _compiled[key] = (parameters, v, fast)  # holding the schema keeps its id from being reused while cached
    if len(_compiled) > _CACHE_SIZE:
        _compiled.popitem(last=False)
    return v, fast


def schema_validator(parameters: dict, language: str = "python"):
    """The strict jsonschema validator of one parameter schema (cached)."""
    return _checkers(parameters, language)[0]


def value_is_valid(value: object, schema: dict | None, language: str = "python") -> bool:
    """Whether one argument value matches its (normalised) schema, with the same rules as check_call."""
    if schema is None:
        return True
    return (_SCRIPT if language in SCRIPT_LANGUAGES else _STRICT)(schema).is_valid(value)


def _where(path) -> str:
    return "/".join(str(p) for p in path)


def _join(where: str, name: object) -> str:
    return f"{where}/{name}" if where else str(name)


def _extra(instance: dict, schema: dict) -> str:
    declared = schema.get("properties", {})
    patterns = "|".join(schema.get("patternProperties", {}))
    extras = [k for k in instance if k not in declared and not (patterns and re.search(patterns, k))]
    return str(min(extras, key=str)) if extras else "?"


def rule_of(e: ValidationError) -> tuple[str, str]:
    """(reason, rule) of one jsonschema error; anyOf/oneOf are judged by their best-matching branch."""
    if e.validator in ("anyOf", "oneOf") and e.context:
        # the branch whose type the value has says what is wrong (a string outside a string enum → not_in_enum)
        typed = [c for c in e.context if not (c.validator == "type" and not c.relative_path)]
        wrong = {
            c.relative_schema_path[0] for c in e.context if c.validator == "type" and not c.relative_path
        }
        typed = [c for c in typed if c.relative_schema_path[0] not in wrong]
        return rule_of(best_match(typed or e.context))
    where = _where(e.absolute_path)
    reason = _KEYWORD_REASON.get(str(e.validator), "schema_violation")
    if reason == "unknown_type":
        return reason, f"unknown_type:{e.validator_value}"
    if reason == "missing_required":
        missing = next((r for r in e.validator_value if r not in e.instance), "?")
        return reason, f"missing_required:{_join(where, missing)}"
    if reason == "undeclared_argument":
        return reason, f"undeclared_argument:{_join(where, _extra(e.instance, e.schema))}"
    where = where or "arguments"
    if reason == "wrong_type":
        names = e.validator_value if isinstance(e.validator_value, list) else [e.validator_value]
        return reason, f"wrong_type:{where}:{'|'.join(map(str, names))}"
    if reason == "not_in_enum":
        return reason, f"not_in_enum:{where}"
    return reason, f"schema_violation:{where}:{e.validator}"


def check_call(
    call: ToolCall, tools: dict[str, dict], language: str = "python", via_jsonschema: bool = False
) -> CallProblem | None:
    """None when `call` names a known tool and its arguments match that tool's parameter schema (strict: see the
    module docstring); else the problem, with the rule that broke. Never raises on a schema's type names.
    Schemas in the common subset run compiled (schema_check.py); `via_jsonschema` forces jsonschema (tests)."""
    name = call.name
    spec = tools.get(name)
    if spec is None:
        # the tool set lacks the name: its problem, reused while the same tool set asks, unformatted
        hit = _unknown.get(name)
        if hit is None or hit.tools is not tools:
            if len(_unknown) >= _CACHE_SIZE:
                _unknown.clear()
            hit = _unknown[name] = UnknownFunction(name, tools)
        return hit
    validator, fast = _checkers(spec.get("parameters") or _NO_PARAMETERS, language)
    if fast is not None and not via_jsonschema:  # the compiled subset: same rules, a fraction of the time
        found: list = []
        fast(call.arguments, (), found)
        if not found:
            return None
        reason, rule, message, path = min(found, key=lambda p: (REASONS.index(p[0]), len(p[3]), p[1]))
        return CallProblem(0, reason, f"{_where(path) or 'arguments'}: {message}", rule=rule)
    errors = list(validator.iter_errors(call.arguments))
    if not errors:
        return None
    judged = sorted(
        ((rule_of(e), e) for e in errors),
        key=lambda x: (REASONS.index(x[0][0]), len(x[1].absolute_path), x[0][1]),
    )
    (reason, rule), e = judged[0]
    where = _where(e.absolute_path) or "arguments"
    return CallProblem(0, reason, f"{where}: {e.message}", rule=rule)


def error_feedback(problem: CallProblem) -> dict:
    """What the environment answers to a call it could not run (the agent sees this as the tool result)."""
    return {"error": problem.reason, "rule": problem.rule, "message": problem.message}
