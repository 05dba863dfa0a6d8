"""CannedEngine: replays given outputs. A fake for tests (canned model outputs) — never used to pretend a
model exists: a demo that has no model says so and uses reference solutions instead."""

from __future__ import annotations

from collections.abc import Callable

from datamill.engine.base import Completion, Engine, Prompt, SamplingParams


class CannedEngine(Engine):
    """`responder(prompt, params) -> list[str]` (n texts), or a list of texts cycled per prompt."""

    def __init__(
        self,
        responder: Callable[[Prompt | str, SamplingParams], list[str]] | list[str],
        model_name: str = "canned",
        cache=None,
    ):
        super().__init__(cache)
        self.model_name = model_name
        self._responder = responder

    def _generate(self, prompts, params):
        out = []
        for p in prompts:
            if callable(self._responder):
                texts = list(self._responder(p, params))
            else:
                texts = [self._responder[k % len(self._responder)] for k in range(params.n)]
            out.append([Completion(text=t, finish_reason="stop") for t in texts[: params.n]])
        return out
