"""The OpenAI-compatible backend against loopback stub servers: concurrency, retries, a fleet, one-line errors."""

import io
import logging
import socket

import pytest

from datamill.engine import EngineConfig, SamplingParams
from datamill.engine.errors import (
    EngineError,
    ModelNotServed,
    RequestRejected,
    ServerUnreachable,
)
from datamill.engine.fleet import retry_delay
from datamill.engine.openai_backend import OpenAIEngine, _retry_after
from datamill.engine.stub_server import StubServer, sample_text
from datamill.engine.transformers_backend import generation_prompt
from schemas import Message

PROMPTS = [[Message(role="user", content=f"Problem {i}: what is {i} + {i * 7}?")] for i in range(24)]
PARAMS = SamplingParams(n=3, seed=5, max_tokens=64)


def _cfg(*urls, **kw) -> EngineConfig:
    fast = {
        "backoff_s": 0.01,
        "backoff_max_s": 0.05,
        "down_retry_s": 0.1,
        "timeout_s": 5.0,
        "progress": False,
    }
    return EngineConfig(backend="openai", model="tiny", base_url=list(urls), **{**fast, **kw})


def _view(out):
    return [[(c.text, c.index, c.finish_reason, c.prompt_id, c.model) for c in cs] for cs in out]


def _expected(prompts, params):
    """What any correct run must return: the stub's text for seed + index, after the reasoning prefill."""
    out = []
    for p in prompts:
        text, prefill = generation_prompt(p, params.reasoning)
        out.append([prefill + sample_text(text, params.seed + j) for j in range(params.n)])
    return out


def _dead_url() -> str:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now: connection refused
    return f"http://127.0.0.1:{port}/v1"


@pytest.fixture(scope="module")
def sequential():
    """The reference: one clean server, one request at a time."""
    with StubServer() as ref:
        eng = OpenAIEngine(_cfg(ref.url, max_in_flight=1))
        out = eng.generate(PROMPTS, PARAMS)
        assert ref.max_in_flight == 1
    return out


def test_fleet_with_injected_failures_matches_a_sequential_run(sequential):
    flaky = {"latency_s": 0.02, "p429": 0.1, "p500": 0.1, "ptimeout": 0.05, "timeout_sleep_s": 1.0}
    with StubServer(seed=1, **flaky) as a, StubServer(seed=2, n_mode="ignore", **flaky) as b:
        eng = OpenAIEngine(_cfg(a.url, b.url, max_in_flight=6, timeout_s=0.5, max_retries=12))
        out = eng.generate(PROMPTS, PARAMS)
        injected = a.injected + b.injected
    assert _view(out) == _view(sequential)
    assert [[c.text for c in cs] for cs in out] == _expected(PROMPTS, PARAMS)
    # the run really was concurrent, on both endpoints, and really met every kind of failure
    assert a.max_in_flight > 1 and b.max_in_flight > 1
    assert injected["429"] and injected["500"] and injected["timeout"], injected
    # b ignores `n`: after its first short answer it was sent one request per sample (seed + index)
    assert not eng.fleet.endpoints[1].supports_n and eng.fleet.endpoints[0].supports_n
    assert any(body["n"] == 1 and body["seed"] > PARAMS.seed for body in b.bodies)


def test_each_completion_is_sent_once_and_then_served_from_cache(tmp_path):
    from datamill.engine.factory import make_engine

    with StubServer(latency_s=0.01) as stub:
        cfg = _cfg(stub.url, max_in_flight=4)
        first = make_engine(cfg, default_cache_dir=tmp_path).generate(PROMPTS, PARAMS)
        again = make_engine(cfg, default_cache_dir=tmp_path)
        second = again.generate(PROMPTS, PARAMS)
        assert stub.received == len(PROMPTS) and set(stub.answered.values()) == {1}  # one n=3 request each
        more = again.generate(PROMPTS, SamplingParams(n=4, seed=5, max_tokens=64))
    assert stub.received == 2 * len(PROMPTS)  # n is part of the key: n=4 is asked for anew
    assert all(c.cached for cs in second for c in cs) and _view(second) == _view(first)
    assert not any(c.cached for cs in more for c in cs)


def test_a_dead_endpoint_does_not_stop_the_job(sequential, caplog):
    dead = _dead_url()
    with StubServer(latency_s=0.01) as live, caplog.at_level(logging.WARNING, "datamill.engine"):
        eng = OpenAIEngine(_cfg(dead, live.url, max_in_flight=4))
        out = eng.generate(PROMPTS, PARAMS)
    assert _view(out) == _view(sequential)
    assert f"{dead} unreachable (ConnectionRefusedError" in caplog.text
    table = eng.endpoint_table()
    dead_row = next(line for line in table.splitlines() if dead in line)
    assert "| down " in dead_row and dead_row.split("|")[3].strip() == "0"  # no request was sent there
    assert eng.fleet.endpoints[1].stats.ok == live.answered_requests == len(PROMPTS)


def test_an_endpoint_dying_mid_run_is_marked_down_and_the_rest_finish(sequential, caplog):
    with (
        StubServer(latency_s=0.02) as a,
        StubServer(latency_s=0.02, die_after=5) as b,
        caplog.at_level(logging.WARNING, "datamill.engine"),
    ):
        eng = OpenAIEngine(_cfg(a.url, b.url, max_in_flight=3, down_after=2, max_retries=8))
        out = eng.generate(PROMPTS, PARAMS)
    assert _view(out) == _view(sequential)
    assert b.dead and not eng.fleet.endpoints[1].up
    assert "marked down after 2 failures in a row" in caplog.text
    assert eng.fleet.endpoints[1].stats.conn_errors >= 2
    assert a.answered_requests + b.answered_requests == len(PROMPTS)


def test_whole_fleet_down_stops_with_one_line_and_keeps_what_finished(tmp_path):
    from datamill.engine.factory import make_engine

    with StubServer(latency_s=0.02, die_after=6) as a:
        eng = make_engine(
            _cfg(a.url, max_in_flight=2, down_after=1, give_up_s=0.3), default_cache_dir=tmp_path
        )
        with pytest.raises(ServerUnreachable, match=r"no endpoint has answered for 0 s: .*re-run to resume"):
            eng.generate(PROMPTS, PARAMS)
    assert len(eng.cache) == 3 * a.answered_requests > 0  # every answered request is in the cache


def test_context_too_long_drops_that_prompt_only(caplog):
    long_prompt = [Message(role="user", content="x" * 500)]
    with StubServer(max_prompt_chars=300) as stub, caplog.at_level(logging.WARNING, "datamill.engine"):
        eng = OpenAIEngine(_cfg(stub.url))
        out = eng.generate([PROMPTS[0], long_prompt, PROMPTS[1]], PARAMS)
    assert [len(o) for o in out] == [3, 0, 3]
    assert eng.drops == {"context_too_long": 3}
    assert "dropped: context_too_long (This model's maximum context length is 300" in caplog.text


def test_server_refusing_n_gets_one_request_per_sample(sequential):
    with StubServer(n_mode="refuse") as stub:
        eng = OpenAIEngine(_cfg(stub.url, max_in_flight=4))
        out = eng.generate(PROMPTS[:4], PARAMS)
    assert _view(out) == _view(sequential[:4])
    # refused at most once per request already in flight, then n=1 with seed + index
    assert 1 <= [b["n"] for b in stub.bodies].count(3) <= 4
    assert sorted(b["seed"] for b in stub.bodies if b["n"] == 1) == sorted([5, 6, 7] * 4)


def test_unknown_model_lists_what_the_server_serves():
    with StubServer(model="exaone-4.0-1.2b") as stub, pytest.raises(ModelNotServed) as e:
        OpenAIEngine(_cfg(stub.url)).generate(PROMPTS[:1], PARAMS)
    assert str(e.value) == f"engine.model 'tiny' is not served at {stub.url}; it serves: exaone-4.0-1.2b"
    assert stub.received == 0  # found on GET /models, before any completion was asked for


def test_unreachable_server_is_one_line():
    dead = _dead_url()
    with pytest.raises(ServerUnreachable) as e:
        OpenAIEngine(_cfg(dead)).generate(PROMPTS[:1], PARAMS)
    msg = str(e.value)
    assert "\n" not in msg and msg.startswith(
        f"no OpenAI-compatible server reachable: {dead} (ConnectionRefused"
    )


def test_other_http_400_stops_with_the_servers_message():
    refused = r"refused a request: HTTP 400: temperature must be non-negative$"
    with (
        StubServer(reject="temperature must be non-negative") as stub,
        pytest.raises(RequestRejected, match=refused),
    ):
        OpenAIEngine(_cfg(stub.url)).generate(PROMPTS[:2], PARAMS)


def test_progress_bar_and_endpoint_table():
    bar = io.StringIO()
    with StubServer(latency_s=0.01, p429=0.2, seed=3) as stub:
        eng = OpenAIEngine(_cfg(stub.url, max_in_flight=4, max_retries=20), progress_file=bar)
        eng.generate(PROMPTS, PARAMS)
    text = bar.getvalue()
    assert f"{3 * len(PROMPTS)}/{3 * len(PROMPTS)}" in text  # samples done / total (tqdm also shows the ETA)
    assert "req/s" in text and "tok/s" in text and f"{stub.injected['429']} failed" in text
    row = next(line for line in eng.endpoint_table().splitlines() if stub.url in line)
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[1:5] == ["up", str(stub.received), str(len(PROMPTS)), str(stub.injected["429"])]


def test_retry_delay_honours_retry_after_and_jitters():
    import random

    assert _retry_after("7") == 7.0 and _retry_after(None) is None and _retry_after("soon") is None
    assert 0 < _retry_after("Wed, 21 Oct 2099 07:28:00 GMT") and retry_delay(3, 1.0, 60.0, 7.0) == 7.0
    assert retry_delay(1, 1.0, 60.0, 1e6) == 60.0  # capped
    rng = random.Random(0)
    delays = [retry_delay(4, 1.0, 60.0, None, rng) for _ in range(50)]
    assert all(4.0 <= d <= 8.0 for d in delays) and len(set(delays)) == 50  # 2^3 s, half of it random


def test_engine_errors_are_one_line_datamill_errors():
    from datamill.errors import DatamillError

    for cls in (ModelNotServed, RequestRejected, ServerUnreachable):
        assert (
            issubclass(cls, EngineError) and issubclass(cls, DatamillError) and issubclass(cls, RuntimeError)
        )


def test_execution_fields_stay_out_of_run_configs():
    """A job resumes on a bigger fleet or with other retry settings: those fields are not part of its config."""
    a = EngineConfig(backend="openai", model="m", base_url="http://a:8000/v1").model_dump()
    b = EngineConfig(
        backend="openai",
        model="m",
        base_url=["http://a:8000/v1", "http://b:8000/v1"],
        max_in_flight=64,
        max_retries=9,
    ).model_dump()
    assert a == b and a["model"] == "m"
    with pytest.raises(ValueError, match="lists an endpoint twice"):
        EngineConfig(backend="openai", model="m", base_url=["http://a/v1", "http://a/v1"])
    with pytest.raises(ValueError, match="one http"):
        EngineConfig(backend="openai", model="m", base_url=[])
