"""The engine's own errors: each is one line the user can act on (the CLI prints it without a traceback).

They subclass `DatamillError` (mapped by `datamill/cli.py`) and `RuntimeError` (what callers caught before).
A server failing is never a sample's verdict: these stop the job, and a re-run resumes from the completion cache.
"""

from __future__ import annotations

from datamill.errors import DatamillError


class EngineError(DatamillError, RuntimeError):
    """Base of every engine error."""


class BackendMissing(EngineError):
    """The chosen backend's optional package is not installed (e.g. vllm on a CPU machine)."""


class ServerUnreachable(EngineError):
    """No endpoint of the fleet answers (at start, or for `give_up_s` during a run)."""


class ModelNotServed(EngineError):
    """`engine.model` is not among the models the server lists on GET /v1/models."""


class RequestRejected(EngineError):
    """The server refused a request for a reason a retry cannot fix (HTTP 4xx other than context length)."""


class RetriesExhausted(EngineError):
    """One request failed `max_retries + 1` times (429/5xx/timeouts/connection errors)."""


class EngineConfigError(EngineError, ValueError):
    """The `engine:` block cannot be used here: a hub id with no network, `canned` without its file, `openai`
    without a model name. Also a ValueError, as these were before."""
