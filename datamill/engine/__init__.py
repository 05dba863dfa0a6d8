"""One place calls models: `make_engine(EngineConfig)` → an Engine with a completion cache.

Backends (issue: LLM engine): transformers (CPU/GPU), vLLM offline (optional extra), OpenAI-compatible
servers (one or a fleet: `fleet.py`), and `canned` (replays given outputs; tests and demos that must not pretend
to have a model). Every completion is committed to the cache as it arrives; errors are `errors.EngineError`.
"""

from datamill.engine.base import Completion, Engine, EngineConfig, SamplingParams, prompt_id
from datamill.engine.cache import CompletionCache
from datamill.engine.canned import CannedEngine

__all__ = [
    "CannedEngine",
    "Completion",
    "CompletionCache",
    "Engine",
    "EngineConfig",
    "SamplingParams",
    "prompt_id",
]
