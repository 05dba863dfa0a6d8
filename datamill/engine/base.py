"""The engine interface every generator calls. Pure data types + the cached `generate` loop."""

from __future__ import annotations

import hashlib
import json
import logging
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from schemas import Message, render_exaone_chat

Prompt = list[Message]
log = logging.getLogger("datamill.engine")


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


@dataclass(frozen=True)
class Dropped:
    """A sample the backend could not make for a reason of the sample itself (not of the server)."""

    reason: str  # snake_case, e.g. "context_too_long"
    detail: str = ""


# How to reach the model and how fast: not part of what a run produces, so left out of config dumps (run ids,
# RunConflict checks): a job may resume on a bigger fleet or with other retry settings.
_HOW = {"exclude": True}


class EngineConfig(BaseModel):
    """How to reach a model. `backend: none` means no model is configured (generators say so and stop)."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)
    backend: Literal["transformers", "vllm", "openai", "canned", "none"] = "none"
    """transformers (local dir, CPU/GPU) | vllm (offline, GPU) | openai (one or many OpenAI-compatible servers)
    | canned (replays a JSONL; tests) | none (no model: generators write verified reference data only)."""
    model: str = ""
    """Local model directory (transformers/vllm) or the served model name (openai; checked on GET /v1/models)."""
    base_url: str | list[str] = Field("http://127.0.0.1:8000/v1", **_HOW)
    """openai: one server, or a fleet as a list (e.g. one `vllm serve` per GPU or node); requests go to the
    least-loaded endpoint that is up."""
    api_key_env: str = Field("OPENAI_API_KEY", **_HOW)
    """openai: environment variable holding the bearer token (unset: no Authorization header)."""
    cache_dir: str | None = Field(None, **_HOW)
    """Completion cache folder; default <store>/_cache/completions."""
    batch_size: int = 8
    """transformers: prompts per forward pass (part of what the seeded samples are). Unused by vllm (it schedules
    the whole chunk) and openai (see max_in_flight)."""
    max_in_flight: int = Field(32, ge=1, **_HOW)
    """openai: requests in flight per endpoint. vLLM batches concurrent requests itself (continuous batching), so
    this bounds what we queue on it, not its batch size."""
    max_retries: int = Field(5, ge=0, **_HOW)
    """openai: retries of one request after 429/5xx/timeouts/connection errors before the job stops."""
    timeout_s: float = Field(120.0, gt=0, **_HOW)
    """openai: socket timeout of one request (connect, and each read); a timeout is retried."""
    backoff_s: float = Field(1.0, ge=0, **_HOW)
    """openai: first retry delay; doubles per attempt, with jitter, capped by backoff_max_s. A 429's
    Retry-After is honoured instead."""
    backoff_max_s: float = Field(60.0, ge=0, **_HOW)
    """openai: the longest wait before one retry."""
    down_after: int = Field(5, ge=1, **_HOW)
    """openai: consecutive failures (connection, timeout, 5xx) after which an endpoint is marked down."""
    down_retry_s: float = Field(15.0, gt=0, **_HOW)
    """openai: a down endpoint is probed (GET /models) this often and used again once it answers."""
    give_up_s: float = Field(600.0, gt=0, **_HOW)
    """openai: the job stops when no endpoint has been up for this long (re-run to resume)."""
    n_per_request: bool = Field(True, **_HOW)
    """openai: ask for n samples in one request (`n`); a server that returns fewer is sent one request per
    missing sample with seed + index (vLLM's own seed for the index-th of n samples), so results match."""
    progress: bool = Field(True, **_HOW)
    """Show a progress bar (requests/s, tokens/s, ETA, failures) when stderr is a terminal."""
    device: str = "auto"
    """transformers: torch device (auto: cuda when available)."""
    dtype: str = "auto"
    """transformers/vllm: weight dtype (auto: the checkpoint's)."""
    tensor_parallel_size: int = 1
    """vllm: GPUs one model is split over. Data parallel: docs/USER_GUIDE.md section 7."""
    prefix_caching: bool = Field(True, **_HOW)
    """vllm: enable_prefix_caching, so the n samples and shared system/few-shot prefixes reuse their KV."""
    canned_path: str | None = None
    """canned: JSONL of {"prompt_id": …, "outputs": [...]}."""

    @field_validator("base_url")
    @classmethod
    def _urls(cls, v: str | list[str]) -> str | list[str]:
        urls = [v] if isinstance(v, str) else v
        if not urls or not all(isinstance(u, str) and u.startswith(("http://", "https://")) for u in urls):
            raise ValueError(f"base_url must be one http(s):// URL or a non-empty list of them (got {v!r})")
        if len(set(urls)) != len(urls):
            raise ValueError(f"base_url lists an endpoint twice: {urls}")
        return v

    @property
    def urls(self) -> list[str]:
        return [self.base_url] if isinstance(self.base_url, str) else list(self.base_url)


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


def _text(prompt: Prompt | str, reasoning: bool) -> str:
    return prompt if isinstance(prompt, str) else render_exaone_chat(prompt, reasoning=reasoning)[0]


def prompt_id(prompt: Prompt | str, reasoning: bool = True) -> str:
    return hashlib.sha256(_text(prompt, reasoning).encode()).hexdigest()[:24]


def cache_key(model: str, prompt: Prompt | str, params: SamplingParams, index: int) -> str:
    """The cache key of sample `index` of `params.n`: model + rendered prompt + all sampling params + index."""
    blob = json.dumps(
        {"model": model, "prompt": _text(prompt, params.reasoning), "params": params.key(), "index": index},
        sort_keys=True,
    )
    return hashlib.sha256(blob.encode()).hexdigest()


# What a backend's stream yields: (position in the wanted list, sample index, the completion or why not).
StreamItem = tuple[int, int, "Completion | Dropped"]


class Engine(ABC):
    """Subclasses implement `_generate` (or `_stream`); callers use `generate`, which consults the cache first
    and commits every completion the moment the backend hands it over."""

    model_name: str = ""

    def __init__(self, cache=None):
        self.cache = cache  # a CompletionCache or None
        self.calls = 0  # prompts actually sent to the backend (not served from cache)
        self.drops: Counter[str] = Counter()  # reason → samples dropped (e.g. context_too_long)

    @abstractmethod
    def _generate(self, prompts: list[Prompt | str], params: SamplingParams) -> list[list[Completion]]:
        """Return params.n completions for each prompt, in order."""

    def _stream(
        self, wanted: list[tuple[Prompt | str, list[int]]], params: SamplingParams
    ) -> Iterator[StreamItem]:
        """Yield the wanted samples (prompt, sample indices) as they are made. Default: one `_generate` call."""
        for t, comps in enumerate(self._generate([p for p, _ in wanted], params)):
            for j in wanted[t][1]:
                if j < len(comps):
                    yield t, j, comps[j]

    def generate(self, prompts: list[Prompt | str], params: SamplingParams) -> list[list[Completion]]:
        """params.n completions per prompt (fewer where a sample was dropped: see `drops`)."""
        ids = [prompt_id(p, params.reasoning) for p in prompts]
        keys = [[cache_key(self.model_name, p, params, j) for j in range(params.n)] for p in prompts]
        found = self.cache.get_many([k for ks in keys for k in ks]) if self.cache is not None else {}
        out: list[list[Completion | None]] = [[found.get(k) for k in ks] for ks in keys]
        todo = [i for i, o in enumerate(out) if any(c is None for c in o)]
        if todo:
            self.calls += len(todo)
            wanted = [(prompts[i], [j for j, c in enumerate(out[i]) if c is None]) for i in todo]
            for t, j, result in self._stream(wanted, params):
                i = todo[t]
                if isinstance(result, Dropped):
                    self.drops[result.reason] += 1
                    log.warning(
                        "engine: prompt %s sample %d dropped: %s (%s)",
                        ids[i],
                        j,
                        result.reason,
                        result.detail[:200],
                    )
                    continue
                result.model, result.prompt_id, result.index = result.model or self.model_name, ids[i], j
                if self.cache is not None:
                    self.cache.put(keys[i][j], result)
                out[i][j] = result
        return [[c for c in o if c is not None] for o in out]
