"""Backends: transformers (tiny local Exaone4, no network), OpenAI-compatible (loopback HTTP server), vLLM error."""

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from tiny_model import build_tiny_exaone

from datamill.engine import EngineConfig, SamplingParams
from datamill.engine.factory import make_engine
from datamill.engine.transformers_backend import generation_prompt
from schemas import Message

PROMPT = [Message(role="user", content="Natalia sold clips to 48 of her friends in April. How many?")]


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory):
    return build_tiny_exaone(tmp_path_factory.mktemp("tiny-exaone"))


def test_generation_prompt_prefills_think():
    text, prefill = generation_prompt(PROMPT, reasoning=True)
    assert text.endswith("[|assistant|]\n<think>\n") and prefill == "<think>\n"
    text, prefill = generation_prompt(PROMPT, reasoning=False)
    assert text.endswith("[|assistant|]\n<think>\n\n</think>\n\n")


def test_transformers_n_samples_seeded_and_cached(tiny_dir, tmp_path):
    cfg = EngineConfig(backend="transformers", model=str(tiny_dir), batch_size=2)
    eng = make_engine(cfg, default_cache_dir=tmp_path / "cache")
    params = SamplingParams(n=3, max_tokens=12, seed=7, temperature=1.0)
    out = eng.generate([PROMPT, PROMPT[0].content], params)
    assert [len(o) for o in out] == [3, 3]
    assert all(c.text.startswith("<think>\n") for c in out[0])
    assert {c.finish_reason for o in out for c in o} <= {"stop", "length"}
    assert all(c.meta["completion_tokens"] <= 12 for o in out for c in o)
    again = make_engine(cfg, default_cache_dir=tmp_path / "cache").generate([PROMPT], params)
    assert again[0][0].cached and [c.text for c in again[0]] == [c.text for c in out[0]]
    fresh = make_engine(cfg).generate(
        [PROMPT, PROMPT[0].content], params
    )  # no cache: same seed + batch → same
    assert [c.text for c in fresh[0]] == [c.text for c in out[0]]
    other = make_engine(cfg).generate(
        [PROMPT, PROMPT[0].content], SamplingParams(n=3, max_tokens=12, seed=8, temperature=1.0)
    )
    assert [c.text for c in other[0]] != [c.text for c in out[0]]


def test_hub_id_is_refused_with_no_network_message():
    with pytest.raises(ValueError, match="no network: pass a local model directory"):
        make_engine(EngineConfig(backend="transformers", model="LGAI-EXAONE/EXAONE-4.0-1.2B"))


def test_vllm_missing_is_a_clear_error(tiny_dir):
    try:
        import vllm  # noqa: F401

        pytest.skip("vllm is installed here")
    except ImportError:
        pass
    from datamill.engine.errors import BackendMissing

    with pytest.raises(BackendMissing, match="optional vllm package") as e:
        make_engine(EngineConfig(backend="vllm", model=str(tiny_dir)))
    assert "\n" not in str(e.value) and e.value.__cause__ is None  # one line, no chained ImportError


def test_vllm_backend_asks_n_in_one_request_with_prefix_caching(tmp_path, monkeypatch):
    """Against a fake `vllm` module (vLLM cannot run here): what our backend hands to vllm.LLM / generate."""
    import types

    calls = {}

    class FakeLLM:
        def __init__(self, **kw):
            calls["llm"] = kw

        def generate(self, prompts, sp):
            calls.setdefault("generate", []).append((list(prompts), sp))
            out = types.SimpleNamespace
            return [
                out(
                    outputs=[
                        out(text=f"s{j}</think>\n\nok", finish_reason="stop", token_ids=[1, 2])
                        for j in range(sp.n)
                    ]
                )
                for _ in prompts
            ]

    fake = types.ModuleType("vllm")
    fake.LLM, fake.SamplingParams = FakeLLM, lambda **kw: types.SimpleNamespace(**kw)
    monkeypatch.setitem(sys.modules, "vllm", fake)
    (tmp_path / "m").mkdir()
    eng = make_engine(EngineConfig(backend="vllm", model=str(tmp_path / "m"), tensor_parallel_size=2))
    out = eng.generate([PROMPT, PROMPT[0].content], SamplingParams(n=4, seed=9))
    assert calls["llm"]["enable_prefix_caching"] is True and calls["llm"]["tensor_parallel_size"] == 2
    [(sent, sp)] = calls["generate"]  # one call: both prompts, four samples each in one request
    assert len(sent) == 2 and sp.n == 4 and sp.seed == 9
    assert [[c.index for c in o] for o in out] == [[0, 1, 2, 3]] * 2 and out[0][0].text.startswith(
        "<think>\ns0"
    )


class _Server(BaseHTTPRequestHandler):
    fail_first = 0
    bodies: ClassVar[list] = []

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).bodies.append(body)
        if type(self).fail_first > 0:
            type(self).fail_first -= 1
            self.send_response(503)
            self.end_headers()
            self.wfile.write(b"busy")
            return
        choices = [
            {"index": i, "text": f"reasoning {i}\n</think>\n\nThe answer is 72.", "finish_reason": "stop"}
            for i in range(body["n"])
        ]
        data = json.dumps({"model": body["model"], "choices": choices}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *a):
        pass


@pytest.fixture
def server():
    srv = HTTPServer(("127.0.0.1", 0), _Server)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    _Server.bodies, _Server.fail_first = [], 0
    yield srv
    srv.shutdown()
    srv.server_close()


def test_openai_backend_retries_then_succeeds(server):
    from datamill.engine.openai_backend import OpenAIEngine

    _Server.fail_first = 2
    cfg = EngineConfig(
        backend="openai", model="tiny", base_url=f"http://127.0.0.1:{server.server_port}/v1", max_retries=3
    )
    eng = OpenAIEngine(cfg, None, backoff_s=0.01)
    out = eng.generate([PROMPT], SamplingParams(n=2, seed=3))
    assert eng.attempts == 3
    assert [c.text for c in out[0]] == [
        f"<think>\nreasoning {i}\n</think>\n\nThe answer is 72." for i in range(2)
    ]
    sent = _Server.bodies[-1]
    assert sent["n"] == 2 and sent["seed"] == 3 and sent["prompt"].endswith("[|assistant|]\n<think>\n")


def test_openai_backend_gives_up_with_reason(server):
    from datamill.engine.openai_backend import OpenAIEngine

    _Server.fail_first = 10
    cfg = EngineConfig(
        backend="openai", model="tiny", base_url=f"http://127.0.0.1:{server.server_port}/v1", max_retries=1
    )
    with pytest.raises(RuntimeError, match="failed after 2 attempts .*HTTP 503"):
        OpenAIEngine(cfg, None, backoff_s=0.01).generate([PROMPT], SamplingParams(n=1))
