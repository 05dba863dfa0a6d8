"""Executable simulated environments: real state in an in-memory SQLite database, tools as methods.

An environment lists its tools as JSON-schema definitions (`TOOLS`) and implements each as a method of the same
name. `execute(name, arguments)` runs one call inside a savepoint: a call that fails leaves the state exactly as
it was. Domain failures (out of stock, unknown id, conflicting booking) raise `ToolError` and come back to the
agent as an error result; anything else is a bug in the environment and is reported as `internal_error`.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any, ClassVar


class ToolError(Exception):
    """A domain error the agent is expected to read and react to. `code` is snake_case."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


@dataclass
class ExecResult:
    ok: bool
    value: Any  # the tool's return value (ok) or {"error": code, "message": …}
    error_code: str = ""

    def content(self) -> str:
        return json.dumps(self.value, ensure_ascii=False, sort_keys=True)


def tool(name: str, description: str, properties: dict, required: list[str]) -> dict:
    """A tool definition in the function format used across this project (and BFCL): name, description,
    parameters (a JSON Schema object; unknown arguments are rejected)."""
    return {
        "name": name,
        "description": description,
        "parameters": {
            "type": "object",
            "properties": properties,
            "required": required,
            "additionalProperties": False,
        },
    }


class Environment:
    """Base class. Subclasses set NAME, TOOLS, SCHEMA_SQL and implement `seed()` and one method per tool."""

    NAME: ClassVar[str] = ""
    TOOLS: ClassVar[list[dict]] = []
    SCHEMA_SQL: ClassVar[str] = ""

    def __init__(self):
        self.db = sqlite3.connect(":memory:", isolation_level=None)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA foreign_keys = ON")
        self.db.executescript(self.SCHEMA_SQL)
        self.seed()
        self.calls = 0

    # -- to implement -----------------------------------------------------------------------------------
    def seed(self) -> None:
        raise NotImplementedError

    # -- helpers for tools ------------------------------------------------------------------------------
    def one(self, sql: str, params: tuple = ()) -> dict | None:
        row = self.db.execute(sql, params).fetchone()
        return dict(row) if row is not None else None

    def all(self, sql: str, params: tuple = ()) -> list[dict]:
        return [dict(r) for r in self.db.execute(sql, params).fetchall()]

    def need(self, sql: str, params: tuple, code: str, message: str) -> dict:
        row = self.one(sql, params)
        if row is None:
            raise ToolError(code, message)
        return row

    # -- the one entry point ----------------------------------------------------------------------------
    @classmethod
    def tool_names(cls) -> list[str]:
        return [t["name"] for t in cls.TOOLS]

    def execute(self, name: str, arguments: dict) -> ExecResult:
        """Run one tool call. Arguments are assumed schema-checked by the caller (the trajectory runner)."""
        if name not in self.tool_names():
            return ExecResult(
                False, {"error": "unknown_tool", "message": f"no tool named {name!r}"}, "unknown_tool"
            )
        self.calls += 1
        self.db.execute("SAVEPOINT call")
        try:
            value = getattr(self, name)(**arguments)
        except ToolError as e:
            self.db.execute("ROLLBACK TO call")
            self.db.execute("RELEASE call")
            return ExecResult(False, {"error": e.code, "message": e.message}, e.code)
        except Exception as e:  # noqa: BLE001 — a bug in our environment, not the agent's fault; keep it visible
            self.db.execute("ROLLBACK TO call")
            self.db.execute("RELEASE call")
            return ExecResult(
                False, {"error": "internal_error", "message": f"{type(e).__name__}: {e}"}, "internal_error"
            )
        self.db.execute("RELEASE call")
        return ExecResult(True, value)

    def snapshot(self, tables: list[str]) -> dict[str, list[dict]]:
        """Full contents of some tables (goal checks and tests compare states)."""
        return {t: self.all(f"SELECT * FROM {t} ORDER BY 1") for t in tables}
