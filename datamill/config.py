"""Load a YAML config into a pydantic model with one-line errors that name the file and position."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from datamill.errors import InputError

M = TypeVar("M", bound=BaseModel)


class ConfigError(InputError):
    """A config file or value is wrong: the message names the file, the line and the key."""


def load_yaml(path: str | Path) -> dict:
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"{path}: no such file")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as e:
        raise ConfigError(f"{path}: not UTF-8 text (byte {e.start})") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise ConfigError(f"{where}: malformed YAML: {getattr(e, 'problem', e)}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level, got {type(data).__name__}")
    return data


def load_config(path: str | Path, model: type[M]) -> M:
    """Validate a YAML file against `model`; every problem is reported (not just the first), each with its line."""
    data = load_yaml(path)
    try:
        return model.model_validate(data)
    except ValidationError as e:
        problems = [_problem(path, err, _key_lines(path)) for err in e.errors()]
        if len(problems) == 1:
            raise ConfigError(problems[0]) from None
        raise ConfigError(
            f"{path}: {len(problems)} problems:\n" + "\n".join(f"  {p}" for p in problems)
        ) from None


def _problem(path, err: dict, lines: dict[tuple, int]) -> str:
    loc = tuple(err["loc"])
    # the deepest part of the location that is in the file (a missing key is reported at its parent's line)
    line = next((lines[loc[:i]] for i in range(len(loc), 0, -1) if loc[:i] in lines), None)
    where = f"{path}:{line}" if line else str(path)
    return f"{where}: {'.'.join(str(p) for p in loc) or '<top>'}: {err['msg']}"


def _key_lines(path) -> dict[tuple, int]:
    """1-based line of every key and list item of the YAML file, by its location path (as pydantic's `loc`)."""
    out: dict[tuple, int] = {}

    def walk(node, loc: tuple) -> None:
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                out[(*loc, k.value)] = k.start_mark.line + 1
                walk(v, (*loc, k.value))
        elif isinstance(node, yaml.SequenceNode):
            for i, v in enumerate(node.value):
                out[(*loc, i)] = v.start_mark.line + 1
                walk(v, (*loc, i))

    try:
        walk(yaml.compose(Path(path).read_text(encoding="utf-8")), ())
    except (OSError, yaml.YAMLError):  # already loaded once: only a race could get here; lines are a courtesy
        pass
    return out
