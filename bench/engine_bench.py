"""engine_bench: completion requests/s against loopback stub servers (200 ms per request, 2 endpoints), one run:

  - baseline: plain `urllib.request`, one blocking request after another (what the openai backend did before)
  - ours: OpenAIEngine on one endpoint with 1 request in flight (its own overhead against the baseline), and
    over both endpoints with 32 in flight (16 each), without and with the SQLite completion cache (each
    completion committed as it arrives)
  - the cache's own cost per completion: `CompletionCache.put` of one completion, timed alone

    .venv/bin/python bench/engine_bench.py            # ~1 min
    .venv/bin/python bench/engine_bench.py --quick    # ~25 s, prints only

The stubs run in their own processes (`python -m datamill.engine.stub_server`), so the client's threads do
not share a GIL with them. Floor: ours at 32 in flight >= 20x the baseline's requests/s (issue #22); with 200 ms
per request, 32 in flight cannot exceed 32x.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench._report import table, write_section
from datamill.engine import Completion, CompletionCache, EngineConfig, SamplingParams
from datamill.engine.openai_backend import OpenAIEngine
from datamill.engine.transformers_backend import generation_prompt
from schemas import Message

FLOOR = 20.0  # issue #22: >= 20x sequential at 32 in flight


def start_stubs(k: int, latency_s: float) -> tuple[list[subprocess.Popen], list[str]]:
    procs, urls = [], []
    for _ in range(k):
        p = subprocess.Popen(
            [sys.executable, "-m", "datamill.engine.stub_server", "--latency", str(latency_s)],
            stdout=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).parents[1],
        )
        procs.append(p)
        urls.append(p.stdout.readline().strip())
    return procs, urls


def prompts(tag: str, n: int) -> list[list[Message]]:
    return [[Message(role="user", content=f"[{tag}] Problem {i}: what is {i} * 17 - 3?")] for i in range(n)]


def plain_sequential(url: str, batch: list[list[Message]], params: SamplingParams) -> float:
    """requests/s of one blocking urllib request after another."""
    t0 = time.perf_counter()
    for p in batch:
        body = {
            "model": "tiny",
            "prompt": generation_prompt(p, True)[0],
            "n": 1,
            "temperature": params.temperature,
            "top_p": params.top_p,
            "max_tokens": params.max_tokens,
            "seed": params.seed,
        }
        req = urllib.request.Request(
            url + "/completions", data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(req, timeout=30) as r:
            assert json.loads(r.read())["choices"]
    return len(batch) / (time.perf_counter() - t0)


def ours(
    urls: list[str], per_endpoint: int, batch, params, cache_dir: str | None
) -> tuple[float, float, int]:
    """(requests/s, tokens/s, completions) of OpenAIEngine.generate over the batch."""
    cfg = EngineConfig(
        backend="openai", model="tiny", base_url=urls, max_in_flight=per_endpoint, progress=False
    )
    cache = CompletionCache(Path(cache_dir) / "completions.sqlite") if cache_dir else None
    eng = OpenAIEngine(cfg, cache)
    eng.generate(batch[:1], params)  # preflight (GET /models) and one warm request, outside the timing
    t0 = time.perf_counter()
    out = eng.generate(batch[1:], params)
    dt = time.perf_counter() - t0
    tokens = sum(e.stats.tokens for e in eng.fleet.endpoints)
    assert all(len(o) == params.n for o in out)
    return (len(batch) - 1) / dt, tokens / dt, sum(map(len, out))


def cache_put_us(cache_dir: str, n: int) -> float:
    """Median microseconds of one committed CompletionCache.put (5 rounds of n)."""
    cache = CompletionCache(Path(cache_dir) / "alone.sqlite")
    text = "reasoning " * 200 + "\n</think>\n\nThe answer is 42."  # ~2 KB, a short reasoning response
    rounds = []
    for r in range(5):
        t0 = time.perf_counter()
        for i in range(n):
            cache.put(f"{r}:{i}", Completion(text=text, model="tiny", prompt_id="p", index=i))
        rounds.append((time.perf_counter() - t0) / n * 1e6)
    return statistics.median(rounds)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--latency", type=float, default=0.2, help="seconds per stub request (default 0.2)")
    ap.add_argument("--requests", type=int, default=960, help="requests per run of ours at 32 in flight")
    ap.add_argument("--quick", action="store_true", help="fewer requests; print only")
    args = ap.parse_args()
    n_ours = 320 if args.quick else args.requests
    n_seq = 12 if args.quick else 25
    params = SamplingParams(n=1, seed=0, max_tokens=64)
    procs, urls = start_stubs(2, args.latency)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            seq = plain_sequential(urls[0], prompts("seq", n_seq), params)
            one = ours(urls[:1], 1, prompts("one", n_seq + 1), params, None)
            ours_nc = ours(urls, 16, prompts("nocache", n_ours + 1), params, None)
            ours_c = ours(urls, 16, prompts("cache", n_ours + 1), params, tmp)
            put_us = cache_put_us(tmp, 2000)
    finally:
        for p in procs:
            p.kill()
            p.wait()
    rows = [
        ["plain urllib, 1 in flight (baseline)", 1, n_seq, f"{seq:.1f}", "-", "1.0x"],
        ["ours, 1 endpoint, 1 in flight", 1, n_seq, f"{one[0]:.1f}", f"{one[1]:.0f}", f"{one[0] / seq:.1f}x"],
        [
            "ours, 32 in flight, no cache",
            32,
            n_ours,
            f"{ours_nc[0]:.1f}",
            f"{ours_nc[1]:.0f}",
            f"{ours_nc[0] / seq:.1f}x",
        ],
        [
            "ours, 32 in flight, SQLite cache",
            32,
            n_ours,
            f"{ours_c[0]:.1f}",
            f"{ours_c[1]:.0f}",
            f"{ours_c[0] / seq:.1f}x",
        ],
    ]
    text = table(["client", "in flight", "requests", "requests/s", "tokens/s", "vs baseline"], rows)
    ratio = ours_c[0] / seq
    ideal = 32 / args.latency
    verdict = "met" if ratio >= FLOOR else "NOT MET"
    notes = (
        f"Stub latency {args.latency * 1000:.0f} ms per request, 2 stub processes on this machine; "
        f"ideal at 32 in flight: {ideal:.0f} requests/s ({32:.0f}x). Floor {FLOOR:.0f}x (ours with the cache "
        f"vs baseline): {ratio:.1f}x, {verdict}.\n\nCache cost: one committed `CompletionCache.put` "
        f"(WAL, synchronous=NORMAL, ~2 KB completion) takes {put_us:.0f} us median, i.e. "
        f"{put_us / 1e6 * ours_c[0] * 100:.2f} % of one core at the measured rate; end to end the cached run "
        f"made {ours_c[0]:.1f} vs {ours_nc[0]:.1f} requests/s without it."
    )
    print(text)
    print(notes)
    if not args.quick:
        write_section("engine_bench", f"{text}\n\n{notes}\n\nRun: `.venv/bin/python bench/engine_bench.py`.")
    if ratio < FLOOR:
        sys.exit(f"floor not met: {ratio:.1f}x < {FLOOR:.0f}x")


if __name__ == "__main__":
    main()
