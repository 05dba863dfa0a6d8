"""A compiled checker for the JSON-Schema subset tool parameters use (type, properties, required,
additionalProperties, items, enum, const; annotations ignored), with the same verdicts as calls.py's jsonschema path.

Why: a call is checked against the same few hundred schemas thousands of times; jsonschema re-walks its generic
machinery (evolve, descend, one generator per keyword) on every call. A schema is compiled once into nested
closures; a schema with any other keyword (pattern, minimum, anyOf, $ref, …) returns None from `compile_schema` and
is checked by jsonschema. tests/generators/tool_use/test_tool_use_calls.py checks that both paths give the same
rule on every BFCL gold call and its perturbations.
"""

from __future__ import annotations

from collections.abc import Callable

JSON_TYPES = frozenset({"array", "boolean", "integer", "null", "number", "object", "string"})
ANNOTATIONS = frozenset({"description", "default", "title", "examples", "format", "$comment", "deprecated",
                         "readOnly", "writeOnly", "$schema", "$id"})  # fmt: skip
SUPPORTED = frozenset({"type", "properties", "required", "additionalProperties", "items", "enum", "const"})

# (reason, rule, message, path): what one broken rule reports
Problem = tuple[str, str, str, tuple]
Check = Callable[[object, tuple, list], None]


def is_type(value: object, t: str) -> bool:
    """Draft 2020-12 types (jsonschema's TypeChecker): a bool is no number, 2.0 is an integer."""
    if t == "string":
        return isinstance(value, str)
    if t == "object":
        return isinstance(value, dict)
    if t == "array":
        return isinstance(value, list)
    if t == "boolean":
        return isinstance(value, bool)
    if t == "null":
        return value is None
    if isinstance(value, bool):
        return False
    if t == "integer":
        return isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    return t == "number" and isinstance(value, (int, float))


def equal(a: object, b: object) -> bool:
    """JSON equality as jsonschema's enum/const compare: True is not 1, 1.0 is 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(equal(x, y) for x, y in zip(a, b))
    return a == b


def _where(path: tuple) -> str:
    return "/".join(str(p) for p in path)


def compile_schema(schema: object, variables: bool) -> Check | None:
    """A checker appending Problems for a value, or None when the schema leaves the supported subset.
    `variables`: Java/JavaScript, where a string stands for a value of any type (a code expression)."""
    if schema is True or schema == {}:
        return lambda value, path, out: None
    if not isinstance(schema, dict) or set(schema) - SUPPORTED - ANNOTATIONS:
        return None
    checks: list[Check] = []
    if "type" in schema:
        names = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not all(isinstance(t, str) for t in names):
            return None
        checks.append(_type_check(names, variables))
    if "enum" in schema or "const" in schema:
        checks.append(_enum_check(schema.get("enum"), schema.get("const"), "const" in schema))
    if "items" in schema:
        item = compile_schema(schema["items"], variables)
        if item is None:
            return None
        checks.append(_items_check(item))
    props = schema.get("properties", {})
    compiled = {k: compile_schema(v, variables) for k, v in props.items()}
    extra = schema.get("additionalProperties", True)
    extra_check = compile_schema(extra, variables) if isinstance(extra, dict) else None
    if None in compiled.values() or (isinstance(extra, dict) and extra_check is None):
        return None
    required = list(schema.get("required", []))
    if props or required or extra is not True:
        checks.append(_object_check(compiled, required, extra, extra_check))
    if len(checks) == 1:
        return checks[0]

    def all_of(value, path, out):
        for c in checks:
            c(value, path, out)

    return all_of


def _type_check(names: list[str], variables: bool) -> Check:
    known = [t for t in names if t in JSON_TYPES]
    unknown = [t for t in names if t not in JSON_TYPES]
    shown = ", ".join(repr(t) for t in names)

    def check(value, path, out):
        if any(is_type(value, t) for t in known) or (variables and isinstance(value, str)):
            return
        if unknown:
            out.append(
                (
                    "unknown_type",
                    f"unknown_type:{unknown[0]}",
                    f"type {unknown[0]!r} is not a JSON Schema type: cannot check {value!r}",
                    path,
                )
            )
        else:
            out.append(
                (
                    "wrong_type",
                    f"wrong_type:{_where(path) or 'arguments'}:{'|'.join(names)}",
                    f"{value!r} is not of type {shown}",
                    path,
                )
            )

    return check


def _enum_check(enum: list | None, const: object, is_const: bool) -> Check:
    def check(value, path, out):
        if is_const and not equal(value, const):
            out.append(
                ("not_in_enum", f"not_in_enum:{_where(path) or 'arguments'}", f"{const!r} was expected", path)
            )
        if enum is not None and not any(equal(value, e) for e in enum):
            out.append(
                (
                    "not_in_enum",
                    f"not_in_enum:{_where(path) or 'arguments'}",
                    f"{value!r} is not one of {enum!r}",
                    path,
                )
            )

    return check


def _items_check(item: Check) -> Check:
    def check(value, path, out):
        if isinstance(value, list):
            for i, v in enumerate(value):
                item(v, (*path, i), out)

    return check


def _object_check(
    props: dict[str, Check], required: list[str], extra: object, extra_check: Check | None
) -> Check:
    def check(value, path, out):
        if not isinstance(value, dict):
            return
        for k, v in value.items():
            c = props.get(k)
            if c is not None:
                c(v, (*path, k), out)
            elif extra_check is not None:
                extra_check(v, (*path, k), out)
        missing = [r for r in required if r not in value]
        for r in missing:
            out.append(
                (
                    "missing_required",
                    f"missing_required:{_where((*path, missing[0]))}",
                    f"{r!r} is a required property",
                    path,
                )
            )
        if extra is False:
            extras = sorted((k for k in value if k not in props), key=str)
            if extras:
                verb = "was" if len(extras) == 1 else "were"
                message = f"Additional properties are not allowed ({', '.join(map(repr, extras))} {verb} unexpected)"
                out.append(
                    (
                        "undeclared_argument",
                        f"undeclared_argument:{_where((*path, extras[0]))}",
                        message,
                        path,
                    )
                )

    return check
