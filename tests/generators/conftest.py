"""Fakes shared by the generator tests: an engine that replays scripted (text, finish_reason) outputs."""

from __future__ import annotations

import pytest

from datamill.engine import Completion, Engine


class ScriptedEngine(Engine):
    """`script(prompt_text, params) -> (text, finish_reason)`; finish_reason lets a test fake a cut-off output."""

    def __init__(self, script, model_name: str = "scripted-test-model"):
        super().__init__(cache=None)
        self.model_name = model_name
        self.script = script

    def _generate(self, prompts, params):
        out = []
        for p in prompts:
            text = p if isinstance(p, str) else "\n".join(m.content for m in p)
            comps = []
            for _ in range(params.n):
                t, finish = self.script(text, params)
                comps.append(Completion(text=t, finish_reason=finish))
            out.append(comps)
        return out


@pytest.fixture
def scripted():
    return ScriptedEngine
