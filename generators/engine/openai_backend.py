"""OpenAIEngine: any OpenAI-compatible /v1/completions server (e.g. `vllm serve`), stdlib HTTP only.

We send the rendered EXAONE prompt to /completions (not /chat/completions) so the prompt, the prefill and the
cache key are exactly those of the other backends. Transient errors (connection, 429, 5xx) are retried with
exponential backoff; other HTTP errors raise with the server's message.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request

from generators.engine.base import Completion, Engine, EngineConfig, Prompt, SamplingParams
from generators.engine.transformers_backend import generation_prompt

RETRY_STATUS = {408, 429, 500, 502, 503, 504}


class OpenAIEngine(Engine):
    def __init__(self, config: EngineConfig, cache=None, backoff_s: float = 1.0):
        super().__init__(cache)
        if not config.model:
            raise ValueError("engine.model must name the served model for backend 'openai'")
        self.config, self.model_name, self.backoff_s = config, config.model, backoff_s
        self.url = config.base_url.rstrip("/") + "/completions"
        self.attempts = 0  # HTTP requests made, retries included

    def _post(self, body: dict) -> dict:
        headers = {"Content-Type": "application/json"}
        key = os.environ.get(self.config.api_key_env)
        if key:
            headers["Authorization"] = f"Bearer {key}"
        data = json.dumps(body).encode()
        last = ""
        for attempt in range(self.config.max_retries + 1):
            self.attempts += 1
            try:
                req = urllib.request.Request(self.url, data=data, headers=headers, method="POST")
                with urllib.request.urlopen(req, timeout=self.config.timeout_s) as resp:
                    return json.loads(resp.read())
            except urllib.error.HTTPError as e:
                last = f"HTTP {e.code}: {e.read()[:300].decode('utf-8', 'replace')}"
                if e.code not in RETRY_STATUS:
                    raise RuntimeError(f"{self.url}: {last}") from None
            except (urllib.error.URLError, TimeoutError, ConnectionError) as e:
                last = f"{type(e).__name__}: {getattr(e, 'reason', e)}"
            if attempt < self.config.max_retries:
                time.sleep(self.backoff_s * 2**attempt)
        raise RuntimeError(f"{self.url}: failed after {self.config.max_retries + 1} attempts ({last})")

    def _generate(self, prompts: list[Prompt | str], params: SamplingParams) -> list[list[Completion]]:
        out = []
        for p in prompts:
            text, prefill = generation_prompt(p, params.reasoning)
            body = {
                "model": self.model_name,
                "prompt": text,
                "n": params.n,
                "temperature": params.temperature,
                "top_p": params.top_p,
                "max_tokens": params.max_tokens,
                "seed": params.seed,
            }
            if params.stop:
                body["stop"] = list(params.stop)
            resp = self._post(body)
            choices = sorted(resp.get("choices", []), key=lambda c: c.get("index", 0))
            if len(choices) != params.n:
                raise RuntimeError(f"{self.url}: asked for n={params.n} completions, got {len(choices)}")
            out.append(
                [
                    Completion(
                        text=prefill + c.get("text", ""),
                        finish_reason=c.get("finish_reason") or "stop",
                        model=resp.get("model", self.model_name),
                    )
                    for c in choices
                ]
            )
        return out
