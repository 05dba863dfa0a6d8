"""The completion cache: one row per sample, committed as it arrives, safe with many threads and a SIGKILL."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from datamill.engine import Completion, CompletionCache, SamplingParams
from datamill.engine.base import Engine, cache_key
from datamill.engine.stub_server import StubServer, prompt_key, sample_text
from datamill.engine.transformers_backend import generation_prompt
from schemas import Message

ROOT = Path(__file__).resolve().parents[3]


def test_key_covers_model_prompt_params_and_index():
    p = [Message(role="user", content="2+2?")]
    base = SamplingParams(n=2, seed=1)
    keys = {
        cache_key("m", p, base, 0),
        cache_key("m", p, base, 1),
        cache_key("m2", p, base, 0),
        cache_key("m", p, SamplingParams(n=2, seed=2), 0),
        cache_key("m", p, SamplingParams(n=3, seed=1), 0),
        cache_key("m", p, SamplingParams(n=2, seed=1, reasoning=False), 0),
        cache_key("m", [Message(role="user", content="2+3?")], base, 0),
    }
    assert len(keys) == 7


def test_many_threads_write_one_cache(tmp_path):
    cache = CompletionCache(tmp_path / "c.sqlite")
    errors = []

    def write(w):
        try:
            for i in range(200):
                cache.put(f"{w}:{i}", Completion(text=f"t{w}-{i}", index=i))
                if i % 50 == 0:
                    cache.put_many((f"{w}:m{i}:{k}", Completion(text="m", index=k)) for k in range(3))
        except Exception as e:  # noqa: BLE001 - collected and asserted below
            errors.append(repr(e))

    threads = [threading.Thread(target=write, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(cache) == 8 * (200 + 4 * 3)
    got = CompletionCache(tmp_path / "c.sqlite").get_many([f"{w}:199" for w in range(8)] + ["absent"])
    assert {k: c.text for k, c in got.items()} == {f"{w}:199": f"t{w}-199" for w in range(8)}
    assert all(c.cached for c in got.values())


class _BreaksAfter(Engine):
    """A backend that hands over `ok` samples and then fails (a server lost mid-chunk)."""

    model_name = "fake"

    def __init__(self, cache, ok: int):
        super().__init__(cache)
        self.ok, self.asked = ok, []

    def _generate(self, prompts, params):
        raise AssertionError("streamed")

    def _stream(self, wanted, params):
        self.asked.append([(t, js) for t, (_, js) in enumerate(wanted)])
        for t, (_, js) in enumerate(wanted):
            for j in js:
                if self.ok == 0:
                    raise ConnectionError("server lost")
                self.ok -= 1
                yield t, j, Completion(text=f"{t}/{j}")


def test_samples_are_committed_as_they_arrive(tmp_path):
    prompts = [f"prompt {i}" for i in range(4)]
    params = SamplingParams(n=3)
    cache = CompletionCache(tmp_path / "c.sqlite")
    with pytest.raises(ConnectionError):
        _BreaksAfter(cache, ok=5).generate(prompts, params)
    assert len(cache) == 5  # the five finished samples survived the failure
    again = _BreaksAfter(cache, ok=100)
    out = again.generate(prompts, params)
    # only the unfinished samples were asked for: prompt 1's last one, prompts 2 and 3 whole
    assert again.asked == [[(0, [2]), (1, [0, 1, 2]), (2, [0, 1, 2])]]
    assert [[c.index for c in cs] for cs in out] == [[0, 1, 2]] * 4
    assert [c.cached for c in out[1]] == [True, True, False]


JOB = textwrap.dedent("""
    import json, sys
    from datamill.engine import EngineConfig, SamplingParams
    from datamill.engine.factory import make_engine
    from schemas import Message

    url, cache_dir, out = sys.argv[1:4]
    cfg = EngineConfig(backend="openai", model="tiny", base_url=url, max_in_flight=4, progress=False)
    engine = make_engine(cfg, default_cache_dir=cache_dir)
    prompts = [[Message(role="user", content=f"problem {i}")] for i in range(30)]
    result = engine.generate(prompts, SamplingParams(n=2, seed=11, max_tokens=32))
    json.dump([[c.text for c in cs] for cs in result], open(out, "w"))
""")


def _rows(db: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as con:
            return con.execute("SELECT count(*) FROM samples").fetchone()[0]
    except sqlite3.OperationalError:
        return 0  # not created yet


def test_sigkill_mid_run_then_rerun_sends_each_prompt_once(tmp_path):
    script, cache_dir, out = tmp_path / "job.py", tmp_path / "cache", tmp_path / "out.json"
    script.write_text(JOB)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    # after 12 answered requests the stub holds every new one unanswered: the client is then mid-run with
    # requests outstanding, and once the cache holds every answered sample it is killed
    stub = StubServer(latency_s=0.05, hold_after=12).start()
    try:
        cmd = [sys.executable, str(script), stub.url, str(cache_dir), str(out)]
        job = subprocess.Popen(cmd, cwd=ROOT, env=env)
        deadline = time.monotonic() + 120
        db = cache_dir / "completions.sqlite"
        while not (stub.held and stub.in_flight == stub.held and _rows(db) == 2 * stub.answered_requests):
            assert job.poll() is None, "the job ended before it could be killed"
            assert time.monotonic() < deadline, (
                f"cache has {_rows(db)} samples for {stub.answered_requests} answered requests: "
                "completions are not committed as they arrive"
            )
            time.sleep(0.05)
        job.send_signal(signal.SIGKILL)
        job.wait()
        answered_before, held = stub.answered_requests, stub.held
        stub.hold_after = None
        stub.release.set()  # the held requests end unanswered (their client is gone)
        assert answered_before >= 12 and held >= 1 and not out.exists()

        subprocess.run(cmd, cwd=ROOT, env=env, check=True, timeout=300)
    finally:
        stub.stop()
    prompts = [[Message(role="user", content=f"problem {i}")] for i in range(30)]
    texts = [generation_prompt(p, True)[0] for p in prompts]
    # every sample was answered exactly once over both runs; only the unanswered requests were sent again
    assert len(stub.answered) == 60 and set(stub.answered.values()) == {1}
    assert stub.answered_requests == 30 and stub.received == 30 + held
    assert {k for k, _ in stub.answered} == {prompt_key(t) for t in texts}
    result = json.loads(out.read_text())
    assert result == [["<think>\n" + sample_text(t, 11 + j) for j in range(2)] for t in texts]
