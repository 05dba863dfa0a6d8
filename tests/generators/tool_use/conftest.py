"""Canned engines for tool-use tests: the agent's n-th step is agent[n], the user's n-th reply is user[n]."""

from __future__ import annotations

import pytest

from datamill.engine import CannedEngine
from generators.tool_use.rollout import USER_SIM_SYSTEM


def _is_user_prompt(prompt) -> bool:
    return prompt[0].content.startswith(USER_SIM_SYSTEM[:30])


def scripted_engine(agent: list[str], user: list[str] | None = None) -> CannedEngine:
    """One engine that plays both roles from scripts; an exhausted script answers with the last entry."""
    user = user or ["###STOP###"]

    def respond(prompt, params):
        is_user = _is_user_prompt(prompt)
        script = user if is_user else agent
        # agent prompt: n = its own earlier steps; user prompt (roles flipped): the opening line is turn 0
        n = sum(m.role == "assistant" for m in prompt) - (1 if is_user else 0)
        return [script[min(n, len(script) - 1)]]

    return CannedEngine(respond, model_name="canned-agent")


@pytest.fixture
def make_engine():
    return scripted_engine
