"""The engine interface every generator calls. Pure data types + the cached `generate` loop."""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict

from schemas import Message, render_exaone_chat

Prompt = list[Message]


@dataclass(frozen=True)
class SamplingParams:
    temperature: float = 0.7
    top_p: float = 0.95
    max_tokens: int = 1024
    n: int = 1  # responses per prompt
    seed: int = 0
    stop: tuple[str, ...] = ()
    reasoning: bool = True  # render the assistant turn in reasoning mode (<think>) or not

    def key(self) -> dict:
        return asdict(self)


@dataclass
class Completion:
    text: str  # raw model text of the assistant turn (may contain <think>…</think>)
    finish_reason: str = "stop"  # "stop" | "length" | "error"
    model: str = ""
    prompt_id: str = ""
    index: int = 0  # which of the n samples
    cached: bool = False
    meta: dict = field(default_factory=dict)


class EngineConfig(BaseModel):
    """How to reach a model. `backend: none` means no model is configured (generators say so and stop)."""

    model_config = ConfigDict(extra="forbid")
    backend: Literal["transformers", "vllm", "openai", "canned", "none"] = "none"
    model: str = ""  # local path (transformers/vllm) or served model name (openai)
    base_url: str = "http://127.0.0.1:8000/v1"  # openai-compatible server
    api_key_env: str = "OPENAI_API_KEY"
    cache_dir: str | None = None  # completion cache; default <store>/_cache/completions
    batch_size: int = 8
    max_retries: int = 3
    timeout_s: float = 120.0
    device: str = "auto"
    dtype: str = "auto"
    tensor_parallel_size: int = 1  # vllm
    canned_path: str | None = None  # canned: JSONL of {"prompt_id" or "match": …, "outputs": [...]}


class SamplingConfig(BaseModel):
    """Sampling for model responses, shared by the generators' YAML (ignored with engine.backend none)."""

    model_config = ConfigDict(extra="forbid")
    temperature: float = 0.7
    """Diverse responses per query need sampling; 0 = greedy (then all N are identical)."""
    top_p: float = 0.95
    """Nucleus sampling mass."""
    max_tokens: int = 2048
    """Generation budget per response or agent step; hitting it marks the output truncated."""
    seed: int = 0
    """Base sampling seed (part of the completion cache key)."""


def prompt_id(prompt: Prompt | str, reasoning: bool = True) -> str:
    text = prompt if isinstance(prompt, str) else render_exaone_chat(prompt, reasoning=reasoning)[0]
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def cache_key(model: str, prompt: Prompt | str, params: SamplingParams) -> str:
    text = prompt if isinstance(prompt, str) else render_exaone_chat(prompt, reasoning=params.reasoning)[0]
    blob = json.dumps({"model": model, "prompt": text, "params": params.key()}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


class Engine(ABC):
    """Subclasses implement `_generate`; callers use `generate`, which consults the cache first."""

    model_name: str = ""

    def __init__(self, cache=None):
        self.cache = cache  # a CompletionCache or None
        self.calls = 0  # prompts actually sent to the backend (not served from cache)

    @abstractmethod
    def _generate(self, prompts: list[Prompt | str], params: SamplingParams) -> list[list[Completion]]:
        """Return params.n completions for each prompt, in order."""

    def generate(self, prompts: list[Prompt | str], params: SamplingParams) -> list[list[Completion]]:
        keys = [cache_key(self.model_name, p, params) for p in prompts]
        out: list[list[Completion] | None] = [self.cache.get(k) if self.cache is not None else None for k in keys]
        todo = [i for i, o in enumerate(out) if o is None]
        if todo:
            self.calls += len(todo)
            fresh = self._generate([prompts[i] for i in todo], params)
            for i, comps in zip(todo, fresh):
                pid = prompt_id(prompts[i], params.reasoning)
                for j, c in enumerate(comps):
                    c.model, c.prompt_id, c.index = c.model or self.model_name, pid, j
                out[i] = comps
                if self.cache is not None:
                    self.cache.put(keys[i], comps)
        return [o for o in out]  # type: ignore[misc]
