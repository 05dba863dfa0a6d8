"""One OpenAI-compatible endpoint: its keep-alive connections, its health and its counters (stdlib HTTP only).

`Endpoint.post` / `Endpoint.get` return a `Reply` or raise `OSError` (refused, reset, timed out): the fleet
decides what a failure means. Connections are pooled per endpoint; one idle longer than `IDLE_CLOSE_S` is not
reused, because servers close idle keep-alive connections (uvicorn, behind `vllm serve`, after 5 s by default:
`--timeout-keep-alive`), and a request on a closed connection fails without reaching the server.
"""

from __future__ import annotations

import http.client
import json
import re
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

IDLE_CLOSE_S = 4.0  # under uvicorn's default keep-alive timeout of 5 s


@dataclass
class Reply:
    status: int
    body: bytes
    headers: dict[str, str]

    def json(self) -> dict:
        return json.loads(self.body)

    def message(self) -> str:
        """The server's error message (OpenAI error JSON or plain text), on one line."""
        try:
            err = self.json().get("error", self.json())
            text = err.get("message", "") if isinstance(err, dict) else str(err)
        except (ValueError, AttributeError):
            text = ""
        text = text or re.sub(
            r"<[^>]*>", " ", self.body[:2000].decode("utf-8", "replace")
        )  # HTML error pages
        return " ".join(text.split())[:300]

    def param(self) -> str:
        try:
            err = self.json().get("error", {})
            return str(err.get("param") or "") if isinstance(err, dict) else ""
        except (ValueError, AttributeError):
            return ""


@dataclass
class EndpointStats:
    requests: int = 0  # POSTs sent, retries included
    ok: int = 0
    rate_limited: int = 0  # HTTP 429
    server_errors: int = 0  # HTTP 5xx
    timeouts: int = 0
    conn_errors: int = 0  # refused, reset, closed mid-response
    dropped: int = 0  # HTTP 400 for a sample's own reason (context too long)
    completions: int = 0
    tokens: int = 0  # usage.completion_tokens, when the server reports it
    busy_s: float = 0.0  # summed latency of answered requests
    went_down: int = 0

    @property
    def failures(self) -> int:
        return self.rate_limited + self.server_errors + self.timeouts + self.conn_errors


@dataclass(eq=False)  # identity: each endpoint is one live server
class Endpoint:
    url: str  # base URL, e.g. http://10.0.0.5:8000/v1
    limit: int  # requests in flight at most
    timeout_s: float
    headers: dict[str, str] = field(default_factory=dict)
    in_flight: int = 0
    failures_in_a_row: int = 0
    down_until: float | None = None  # monotonic time of the next probe while down
    probing: bool = False
    supports_n: bool = True
    last_error: str = ""
    stats: EndpointStats = field(default_factory=EndpointStats)

    def __post_init__(self):
        parts = urlsplit(self.url.rstrip("/"))
        self._https = parts.scheme == "https"
        self._host, self._port = parts.hostname or "127.0.0.1", parts.port
        self._prefix = parts.path
        self._idle: list[tuple[http.client.HTTPConnection, float]] = []
        self._lock = threading.Lock()

    @property
    def up(self) -> bool:
        return self.down_until is None

    def load(self) -> float:
        return self.in_flight / self.limit

    # -- HTTP -------------------------------------------------------------------------------------------
    def _connection(self) -> http.client.HTTPConnection:
        now = time.monotonic()
        with self._lock:
            while self._idle:
                conn, since = self._idle.pop()
                if now - since < IDLE_CLOSE_S:
                    return conn
                conn.close()
        cls = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
        return cls(self._host, self._port, timeout=self.timeout_s)

    def _request(self, method: str, path: str, body: bytes | None, timeout_s: float | None = None) -> Reply:
        conn = self._connection()
        if timeout_s is not None:
            conn.timeout = timeout_s
            if conn.sock is not None:
                conn.sock.settimeout(timeout_s)
        headers = (
            {**self.headers, "Content-Type": "application/json"} if body is not None else dict(self.headers)
        )
        try:
            conn.request(method, self._prefix + path, body=body, headers=headers)
            resp = conn.getresponse()
            reply = Reply(resp.status, resp.read(), {k.lower(): v for k, v in resp.getheaders()})
        except BaseException:
            conn.close()
            raise
        if resp.will_close or timeout_s is not None:
            conn.close()
        else:
            with self._lock:
                self._idle.append((conn, time.monotonic()))
        return reply

    def post(self, path: str, payload: dict) -> Reply:
        return self._request("POST", path, json.dumps(payload).encode())

    def get(self, path: str, timeout_s: float) -> Reply:
        return self._request("GET", path, None, timeout_s=timeout_s)

    def close(self) -> None:
        with self._lock:
            for conn, _ in self._idle:
                conn.close()
            self._idle.clear()
