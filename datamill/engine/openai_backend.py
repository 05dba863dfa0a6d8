"""OpenAIEngine: one or many OpenAI-compatible /v1/completions servers (vLLM, SGLang), concurrently, stdlib HTTP.

We send the rendered EXAONE prompt to /completions (not /chat/completions) so the prompt, the prefill and the
cache key are exactly those of the other backends. Requests go through a `Fleet` (bounded in flight per
endpoint, least-loaded first, retries, endpoints marked down and probed); each completion is committed to the
cache by `Engine.generate` the moment it arrives. Sample j of n is what vLLM makes for the j-th of n samples:
seed + j (vllm/v1/engine/parallel_sampling.py, `_get_child_sampling_params`), so one request with `n` and n
requests with one sample each give the same samples, and a partly finished prompt asks only for the rest.
"""

from __future__ import annotations

import email.utils
import http.client
import os
import re
import time
import weakref
from collections.abc import Iterator

from datamill.engine.base import (
    Completion,
    Dropped,
    Engine,
    EngineConfig,
    Prompt,
    SamplingParams,
    StreamItem,
)
from datamill.engine.endpoint import Endpoint, Reply
from datamill.engine.errors import EngineConfigError, ModelNotServed, RequestRejected
from datamill.engine.fleet import Fleet, Outcome, Task
from datamill.engine.transformers_backend import generation_prompt

PROBE_TIMEOUT_S = 10.0
UNHEALTHY = {500, 502, 503, 504}  # a probe answered with these: the server is up but cannot serve
# Context-length refusals (HTTP 400) as vLLM, OpenAI, SGLang and Together word them: "This model's maximum
# context length is N tokens", "The decoder prompt (length N) is longer than the maximum model length of M",
# "The input (N tokens) is longer than the model's context length", "Requested token count exceeds the model's
# maximum context length", OpenAI's code "context_length_exceeded".
CONTEXT_TOO_LONG = re.compile(
    r"context.length|maximum model length|context window|prompt is too long", re.IGNORECASE
)
# A server that refuses `n` > 1 says so about the parameter n ("n must be 1", "`n` is not supported").
N_REFUSED = re.compile(
    r"(^|[^\w`'])[`']?n[`']?\s+(must|should|is not|>|not supported|can only)", re.IGNORECASE
)


def _retry_after(value: str | None) -> float | None:
    """Retry-After in seconds: delta-seconds or an HTTP date (RFC 9110, 10.2.3)."""
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        try:
            return email.utils.parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError):
            return None


def _describe(e: BaseException) -> str:
    return f"{type(e).__name__}: {e}" if str(e) else type(e).__name__


class OpenAIEngine(Engine):
    def __init__(self, config: EngineConfig, cache=None, backoff_s: float | None = None, progress_file=None):
        super().__init__(cache)
        if not config.model:
            raise EngineConfigError("engine.model must name the served model for backend 'openai'")
        if backoff_s is not None:
            config = config.model_copy(update={"backoff_s": backoff_s})
        self.config, self.model_name = config, config.model
        key = os.environ.get(config.api_key_env)
        self.fleet = Fleet(config, {"Authorization": f"Bearer {key}"} if key else {}, progress_file)
        self._checked = False
        # when the engine is collected: its per-endpoint table to the log (unless already logged), threads end
        weakref.finalize(self, _finish, self.fleet)

    @property
    def attempts(self) -> int:
        """HTTP requests made, retries included."""
        return sum(e.stats.requests for e in self.fleet.endpoints)

    def endpoint_table(self) -> str:
        return self.fleet.table()

    def _generate(self, prompts: list[Prompt | str], params: SamplingParams) -> list[list[Completion]]:
        out: list[list[Completion]] = [[] for _ in prompts]
        for t, _, c in self._stream([(p, list(range(params.n))) for p in prompts], params):
            if isinstance(c, Completion):
                out[t].append(c)
        return out

    def _stream(
        self, wanted: list[tuple[Prompt | str, list[int]]], params: SamplingParams
    ) -> Iterator[StreamItem]:
        if not self._checked:
            self.fleet.preflight(self._probe)
            self._checked = True
        rendered = [generation_prompt(p, params.reasoning) for p, _ in wanted]
        tasks = [task for t, (_, js) in enumerate(wanted) for task in self._tasks(t, js)]
        send = self._sender(rendered, params)
        for task, out in self.fleet.run(tasks, send, self._probe, total=sum(len(js) for _, js in wanted)):
            if out.kind == "drop":
                for j in range(task.first, task.first + task.count):
                    yield task.t, j, Dropped(out.reason, out.error)
            for j, c in out.samples:
                yield task.t, j, c

    def _tasks(self, t: int, samples: list[int]) -> list[Task]:
        """Runs of consecutive missing samples become one request each (with `n`), or one request per sample."""
        if not self.config.n_per_request:
            return [Task(t, j, 1) for j in samples]
        runs: list[Task] = []
        for j in sorted(samples):
            if runs and runs[-1].first + runs[-1].count == j:
                runs[-1].count += 1
            else:
                runs.append(Task(t, j, 1))
        return runs

    # -- one request (runs in a worker thread) ---------------------------------------------------------
    def _sender(self, rendered: list[tuple[str, str]], params: SamplingParams):
        def send(task: Task, ep: Endpoint) -> Outcome:
            text, prefill = rendered[task.t]
            body = {
                "model": self.model_name,
                "prompt": text,
                "n": task.count,
                "temperature": params.temperature,
                "top_p": params.top_p,
                "max_tokens": params.max_tokens,
                "seed": params.seed + task.first,
            }
            if params.stop:
                body["stop"] = list(params.stop)
            t0 = time.monotonic()
            try:
                reply = ep.post("/completions", body)
            except TimeoutError:
                return Outcome("retry", failure="timeout", error=f"no answer within {ep.timeout_s:g} s")
            except (OSError, http.client.HTTPException) as e:
                return Outcome("retry", failure="conn", error=_describe(e))
            return self._classify(reply, task, prefill, ep, time.monotonic() - t0)

        return send

    def _classify(self, reply: Reply, task: Task, prefill: str, ep: Endpoint, latency_s: float) -> Outcome:
        status, msg = reply.status, reply.message() if reply.status != 200 else ""
        if status == 200:
            return self._parse(reply, task, prefill, latency_s)
        if status == 429:
            return Outcome(
                "retry",
                failure="429",
                error=f"HTTP 429: {msg}",
                retry_after_s=_retry_after(reply.headers.get("retry-after")),
            )
        if status == 408 or status >= 500:
            return Outcome(
                "retry", failure="timeout" if status == 408 else "5xx", error=f"HTTP {status}: {msg}"
            )
        if status == 400 and CONTEXT_TOO_LONG.search(msg):
            return Outcome("drop", reason="context_too_long", error=msg)
        if status == 400 and task.count > 1 and (reply.param() == "n" or N_REFUSED.search(msg)):
            return Outcome("no_n", error=msg)
        if status == 404 and "model" in msg.lower():
            served = self._served(ep)
            return Outcome(
                "fatal",
                exc=ModelNotServed(
                    f"engine.model {self.model_name!r} is not served at {ep.url} (HTTP 404: {msg}); "
                    f"it serves: {', '.join(served) if served else 'unknown (GET /models failed)'}"
                ),
            )
        hint = {
            401: f" (is ${self.config.api_key_env} set?)",
            403: f" (is ${self.config.api_key_env} right?)",
            404: " (engine.base_url should end in /v1)",
        }.get(status, "")
        return Outcome(
            "fatal",
            exc=RequestRejected(f"{ep.url}/completions refused a request: HTTP {status}: {msg}{hint}"),
        )

    def _parse(self, reply: Reply, task: Task, prefill: str, latency_s: float) -> Outcome:
        try:
            resp = reply.json()
            choices = resp["choices"]
            tokens = int((resp.get("usage") or {}).get("completion_tokens") or 0)
        except (ValueError, KeyError, TypeError, AttributeError) as e:
            return Outcome("retry", failure="5xx", error=f"malformed response ({_describe(e)})")
        got: dict[int, Completion] = {}
        for pos, c in enumerate(choices if isinstance(choices, list) else []):
            k = c.get("index", pos) if isinstance(c, dict) else -1
            if isinstance(k, int) and 0 <= k < task.count and k not in got:
                got[k] = Completion(
                    text=prefill + str(c.get("text") or ""),
                    finish_reason=c.get("finish_reason") or "stop",
                    model=resp.get("model") or self.model_name,
                )
        if not got:
            return Outcome(
                "retry", failure="5xx", error=f"no usable choices in the response (asked n={task.count})"
            )
        return Outcome(
            "ok",
            samples=[(task.first + k, c) for k, c in sorted(got.items())],
            missing=[task.first + k for k in range(task.count) if k not in got],
            tokens=tokens,
            latency_s=latency_s,
        )

    # -- health ---------------------------------------------------------------------------------------
    def _served(self, ep: Endpoint) -> list[str] | None:
        try:
            reply = ep.get("/models", timeout_s=min(self.config.timeout_s, PROBE_TIMEOUT_S))
            return [m["id"] for m in reply.json()["data"]] if reply.status == 200 else None
        except (OSError, http.client.HTTPException, ValueError, KeyError, TypeError):
            return None

    def _probe(self, ep: Endpoint) -> str | None:
        """None when the endpoint answers (501 'no such route' included); raises ModelNotServed when it lists its
        models and ours is not among them."""
        try:
            reply = ep.get("/models", timeout_s=min(self.config.timeout_s, PROBE_TIMEOUT_S))
        except (OSError, http.client.HTTPException) as e:
            return _describe(e)
        if reply.status in UNHEALTHY:
            return f"HTTP {reply.status}: {reply.message()}"
        if reply.status == 200:
            try:
                served = [m["id"] for m in reply.json()["data"]]
            except (ValueError, KeyError, TypeError):
                served = None  # not the OpenAI shape: nothing to check the name against
            if served is not None and self.model_name not in served:
                raise ModelNotServed(
                    f"engine.model {self.model_name!r} is not served at {ep.url}; "
                    f"it serves: {', '.join(served) or 'no models'}"
                )
        return None


def _finish(fleet: Fleet) -> None:
    fleet.log_table()
    fleet.close()
