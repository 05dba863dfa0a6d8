"""make_engine(EngineConfig) → Engine | None. Backends import their heavy libraries only when chosen."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

from datamill.engine.base import Engine, EngineConfig
from datamill.engine.cache import CompletionCache
from datamill.engine.canned import CannedEngine
from datamill.engine.errors import EngineConfigError
from datamill.errors import DatamillError

# backend → "module:class"; each class takes (config: EngineConfig, cache: CompletionCache | None)
BACKENDS = {
    "transformers": "datamill.engine.transformers_backend:TransformersEngine",
    "vllm": "datamill.engine.vllm_backend:VLLMEngine",
    "openai": "datamill.engine.openai_backend:OpenAIEngine",
}


class NoEngineConfigured(DatamillError, RuntimeError):
    """Raised by generators that need a model when `engine.backend` is `none`."""


def make_engine(config: EngineConfig, default_cache_dir: str | Path | None = None) -> Engine | None:
    """None when backend is 'none': callers then use reference data and say so, never fake output."""
    if config.backend == "none":
        return None
    cache_dir = config.cache_dir or default_cache_dir
    cache = CompletionCache(Path(cache_dir) / "completions.sqlite") if cache_dir else None
    if config.backend == "canned":
        if not config.canned_path:
            raise EngineConfigError(
                "engine.backend 'canned' needs engine.canned_path (JSONL of {prompt_id, outputs})"
            )
        table = {}
        for n, line in enumerate(Path(config.canned_path).read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as e:
                    raise EngineConfigError(f"{config.canned_path}:{n}: malformed JSON ({e.msg})") from None
                table[row["prompt_id"]] = row["outputs"]

        def responder(prompt, params):
            from datamill.engine.base import prompt_id

            return table.get(prompt_id(prompt, params.reasoning), [])

        return CannedEngine(responder, model_name=config.model or "canned", cache=cache)
    module, cls = BACKENDS[config.backend].split(":")
    return getattr(importlib.import_module(module), cls)(config, cache)
