"""Tasks: a goal for a simulated user, a goal check over the final database state, and a REFERENCE plan.

The reference plan is a scripted agent (steps of reasoning, text and tool calls) plus scripted user turns. It is
what the job runs when no model is configured: the environment really executes every call, so results and
errors are real, and the reference agent reads them from the conversation (arguments and replies may be
functions of earlier tool results). A reference that stops matching the environment fails its own checks.

This package: the task types and the reference runners here; templates per environment in `shop.py`,
`shop_orders.py`, `travel.py`, `travel_long.py` (each imports this file, never the other way round); the task sets
the job runs in `sets.py`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from generators.tool_use.envs import Environment
from schemas import Message


class Results:
    """The tool results seen so far in a conversation, by tool name (what a reference step may read)."""

    def __init__(self, messages: list[Message]):
        self.items: list[tuple[str, Any]] = []
        for m in messages:
            if m.role == "tool":
                try:
                    self.items.append((m.name or "", json.loads(m.content)))
                except json.JSONDecodeError:
                    self.items.append((m.name or "", m.content))

    def last(self, tool: str) -> Any:
        for name, value in reversed(self.items):
            if name == tool:
                return value
        raise KeyError(f"reference plan reads a result of {tool!r} but the conversation has none")

    def all(self, tool: str) -> list[Any]:
        return [v for n, v in self.items if n == tool]


Text = str | Callable[[Results], str]
Args = dict | Callable[[Results], dict]


@dataclass
class RefStep:
    """One reference agent output: reasoning, text to the user, and tool calls (several = parallel)."""

    think: Text = ""
    say: Text = ""
    calls: list[tuple[str, Args]] = field(default_factory=list)


GoalCheck = Callable[
    [Environment, str], tuple[bool, str]
]  # (env after the episode, final agent text) → (ok, why)


@dataclass
class Task:
    id: str
    env: str  # key of ENVIRONMENTS
    system: str  # the agent's instructions (policy)
    user_goal: str  # what the simulated user wants and knows (for an LLM user simulator)
    user_turns: list[str]  # scripted user: opening message, then one reply each time the agent hands back
    reference: list[
        list[RefStep]
    ]  # per user turn, the agent's steps; the last step of each turn has no calls
    goal: GoalCheck
    tags: list[str] = field(default_factory=list)  # multi_turn, parallel, error_recovery, …


def _text(t: Text, r: Results) -> str:
    return t(r) if callable(t) else t


def agent_text(think: str | None, say: str, calls: list[tuple[str, dict]]) -> str:
    """Raw EXAONE assistant text, as a model would emit it."""
    head = f"<think>\n{think}\n</think>\n\n" if think else "<think>\n\n</think>\n\n"
    body = "".join(
        f"<tool_call>{json.dumps({'name': n, 'arguments': a}, ensure_ascii=False)}</tool_call>"
        for n, a in calls
    )
    return head + say + body


class ReferenceAgent:
    """Replays a task's reference steps in order; each call's arguments are computed from the real results."""

    model_name = "reference"

    def __init__(self, task: Task, reasoning: bool):
        self.steps = [s for turn in task.reference for s in turn]
        self.reasoning, self.pos = reasoning, 0
        self.error = ""  # why the plan could not continue (it read a result the environment did not give)

    def respond(self, messages: list[Message]) -> str | None:
        if self.pos >= len(self.steps):
            return None  # plan exhausted: the reference agent has nothing more to say
        s, r = self.steps[self.pos], Results(messages)
        self.pos += 1
        try:
            calls = [(n, a(r) if callable(a) else a) for n, a in s.calls]
            return agent_text(_text(s.think, r) if self.reasoning else None, _text(s.say, r), calls)
        except (KeyError, IndexError, TypeError, ValueError) as e:  # the plan expected results it did not get
            self.error = f"step {self.pos - 1}: {type(e).__name__}: {e}"
            return None


class ScriptedUser:
    """Replays the task's user turns; None when the script is over (the conversation ends)."""

    def __init__(self, task: Task):
        self.turns, self.pos = list(task.user_turns), 0

    def respond(self, messages: list[Message]) -> str | None:
        if self.pos >= len(self.turns):
            return None
        self.pos += 1
        return self.turns[self.pos - 1]
