"""A loopback OpenAI-compatible /v1/completions server for the engine's tests and bench: no model, deterministic.

Sample text is a pure function of (prompt, seed) and the i-th of n samples uses seed + i, as vLLM does, so any
split of requests gives the same samples. It can add latency, inject 429 / 500 / timeouts, refuse long prompts
the way vLLM does, ignore or refuse `n`, reject every request, hold requests (to kill a client mid-run) or die, and it counts what it
received and what it answered. It binds 127.0.0.1 only and serves at most `max_requests` requests.

    python -m datamill.engine.stub_server --latency 0.2   # prints its base URL, serves until killed
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self


def sample_text(prompt: str, seed: int) -> str:
    """The stub's completion for (prompt, seed): a few words, a closing </think> and an answer."""
    h = hashlib.sha256(f"{seed}|{prompt}".encode()).hexdigest()
    words = " ".join(h[i : i + 4] for i in range(0, 4 * (3 + int(h[0], 16) % 8), 4))
    return f"stub {words}\n</think>\n\nThe answer is {int(h[:6], 16) % 1000}."


def prompt_key(prompt: str) -> str:
    return hashlib.sha256(prompt.encode()).hexdigest()[:16]


class StubServer:
    def __init__(
        self,
        model: str = "tiny",
        latency_s: float = 0.0,
        p429: float = 0.0,
        p500: float = 0.0,
        ptimeout: float = 0.0,
        timeout_sleep_s: float = 1.0,
        retry_after: str | None = "0",
        n_mode: str = "ok",
        max_prompt_chars: int | None = None,
        hold_after: int | None = None,
        die_after: int | None = None,
        reject: str | None = None,
        max_requests: int = 20_000,
        seed: int = 0,
    ):
        self.model, self.latency_s = model, latency_s
        self.p429, self.p500, self.ptimeout, self.timeout_sleep_s = p429, p500, ptimeout, timeout_sleep_s
        self.retry_after, self.n_mode, self.max_prompt_chars = retry_after, n_mode, max_prompt_chars
        self.hold_after, self.die_after, self.max_requests = hold_after, die_after, max_requests
        self.reject = reject  # every completion request gets HTTP 400 with this message
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.release = threading.Event()  # set: held requests end (closed unanswered)
        self.received = 0  # completion requests that reached us
        self.answered_requests = 0
        self.answered: Counter[tuple[str, int]] = Counter()  # (prompt key, sample seed) → times delivered
        self.injected: Counter[str] = Counter()
        self.bodies: list[dict] = []
        self.held = self.in_flight = self.max_in_flight = 0
        self.dead = False
        self._httpd: ThreadingHTTPServer | None = None

    # -- lifecycle ------------------------------------------------------------------------------------
    def start(self, port: int = 0) -> StubServer:
        stub = self

        class Handler(_Handler):
            server_stub = stub

        self._httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._httpd.daemon_threads = True
        threading.Thread(target=self._httpd.serve_forever, daemon=True, name="stub-server").start()
        return self

    @property
    def url(self) -> str:
        assert self._httpd is not None
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def stop(self) -> None:
        self.release.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- behaviour ------------------------------------------------------------------------------------
    def complete(self, body: dict) -> tuple[int, dict, dict[str, str]] | None:
        """(status, JSON, headers) for one request, or None to close the connection unanswered."""
        with self.lock:
            if self.dead or (self.die_after is not None and self.received >= self.die_after):
                self.dead = True
                return None
            if self.received >= self.max_requests:
                return 503, {"error": {"message": "stub request limit reached"}}, {}
            self.received += 1
            self.bodies.append(body)
            hold = self.hold_after is not None and self.answered_requests >= self.hold_after
            r = self.rng.random()
            self.held += hold
        if hold:
            self.release.wait()
            return None
        if body.get("model") != self.model:
            return (
                404,
                {
                    "error": {
                        "message": f"The model `{body.get('model')}` does not exist.",
                        "type": "NotFoundError",
                        "code": 404,
                    }
                },
                {},
            )
        for kind, p in (("429", self.p429), ("500", self.p500), ("timeout", self.ptimeout)):
            if r < p:
                with self.lock:
                    self.injected[kind] += 1
                if kind == "429":
                    return (
                        429,
                        {"error": {"message": "stub is busy"}},
                        ({"Retry-After": self.retry_after} if self.retry_after is not None else {}),
                    )
                if kind == "500":
                    return 500, {"error": {"message": "stub internal error"}}, {}
                time.sleep(self.timeout_sleep_s)
                return None
            r -= p
        if self.reject:
            return 400, {"error": {"message": self.reject, "type": "BadRequestError", "code": 400}}, {}
        prompt, n = str(body.get("prompt", "")), int(body.get("n", 1))
        if self.max_prompt_chars is not None and len(prompt) > self.max_prompt_chars:
            return (
                400,
                {
                    "error": {
                        "message": (  # vLLM's wording (vllm/entrypoints/openai/serving_engine.py)
                            f"This model's maximum context length is {self.max_prompt_chars} tokens. However, you requested "
                            f"{len(prompt)} tokens. Please reduce the length of the messages or completion."
                        ),
                        "type": "BadRequestError",
                        "code": 400,
                    }
                },
                {},
            )
        if n > 1 and self.n_mode == "refuse":
            return 400, {"error": {"message": "n must be 1 on this server", "param": "n", "code": 400}}, {}
        n = 1 if self.n_mode == "ignore" else n
        time.sleep(self.latency_s)
        seed = int(body.get("seed", 0))
        texts = [sample_text(prompt, seed + i) for i in range(n)]
        choices = [{"index": i, "text": t, "finish_reason": "stop"} for i, t in enumerate(texts)]
        usage = {"completion_tokens": sum(len(t.split()) for t in texts)}
        return 200, {"object": "text_completion", "model": self.model, "choices": choices, "usage": usage}, {}

    def delivered(self, body: dict, response: dict) -> None:
        key = prompt_key(str(body.get("prompt", "")))
        seed = int(body.get("seed", 0))
        with self.lock:
            self.answered_requests += 1
            for c in response.get("choices", []):
                self.answered[(key, seed + c["index"])] += 1


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as vLLM's server
    # headers and body leave in one write: two small writes on a keep-alive connection wait ~40 ms for the
    # client's delayed ACK (Nagle), which real servers avoid (uvicorn sets TCP_NODELAY)
    wbufsize = 1 << 16
    server_stub: StubServer

    def _send(self, status: int, payload: dict, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def do_GET(self):
        stub = self.server_stub
        if stub.dead:
            self.close_connection = True
            return
        if self.path.rstrip("/").endswith("/models"):
            self._send(200, {"object": "list", "data": [{"id": stub.model, "object": "model"}]})
        else:
            self._send(404, {"error": {"message": f"no route {self.path}"}})

    def do_POST(self):
        stub = self.server_stub
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        if not self.path.rstrip("/").endswith("/completions"):
            self._send(404, {"error": {"message": f"no route {self.path}"}})
            return
        with stub.lock:
            stub.in_flight += 1
            stub.max_in_flight = max(stub.max_in_flight, stub.in_flight)
        try:
            answer = stub.complete(body)
            if answer is None:
                self.close_connection = True
                return
            self._send(*answer)
            if answer[0] == 200:
                stub.delivered(body, answer[1])
        finally:
            with stub.lock:
                stub.in_flight -= 1

    def log_message(self, *args):
        pass


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--latency", type=float, default=0.2, help="seconds per request (default 0.2)")
    ap.add_argument("--model", default="tiny")
    args = ap.parse_args()
    stub = StubServer(model=args.model, latency_s=args.latency).start(args.port)
    print(stub.url, flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
