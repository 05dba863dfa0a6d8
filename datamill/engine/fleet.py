"""Fleet: bounded concurrent requests over one or many endpoints, least-loaded first, with retries.

The caller's thread dispatches and receives; requests run in a small pool of daemon threads. Per request:
429/5xx/timeouts/connection errors are retried after an exponential backoff with jitter (or the server's
Retry-After), at most `max_retries` times. Per endpoint: `down_after` failures in a row mark it down; it is
probed every `down_retry_s` and used again once it answers. The job stops only when a request exhausts its
retries, a request is refused for good, or no endpoint has been up for `give_up_s`; what finished before is
already committed by the caller, so a re-run resumes.
"""

from __future__ import annotations

import heapq
import logging
import queue
import random
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from datamill.engine.base import Completion, EngineConfig
from datamill.engine.endpoint import Endpoint
from datamill.engine.errors import RetriesExhausted, ServerUnreachable
from datamill.engine.progress import BAR_REFRESH_S, ProgressBar

log = logging.getLogger("datamill.engine")
_FLEETS: weakref.WeakSet = weakref.WeakSet()  # live fleets, for log_tables()


def log_tables() -> None:
    """Log the per-endpoint table of every live fleet that sent requests since its last table (the CLI calls
    this when a command ends; an engine that is garbage-collected logs its own)."""
    for fleet in list(_FLEETS):
        fleet.log_table()


def mark_tables_logged() -> None:
    """Count every live fleet's requests so far as reported. The CLI calls this when a command starts, so the
    tables it logs at the end are of that command's fleets only (one process can run several commands: tests)."""
    for fleet in list(_FLEETS):
        fleet._logged_at = sum(e.stats.requests for e in fleet.endpoints)


@dataclass
class Task:
    """One request: samples first .. first+count-1 of wanted prompt `t` (count > 1 uses the server's `n`)."""

    t: int
    first: int
    count: int
    attempts: int = 0

    def split(self) -> list[Task]:
        return [Task(self.t, j, 1, self.attempts) for j in range(self.first, self.first + self.count)]


@dataclass
class Outcome:
    kind: str  # ok | retry | drop | fatal | no_n
    samples: list[tuple[int, Completion]] = field(default_factory=list)  # ok: (sample index, completion)
    missing: list[int] = field(default_factory=list)  # ok, fewer choices than asked: sent again one by one
    tokens: int = 0
    latency_s: float = 0.0
    failure: str = ""  # retry: 429 | 5xx | timeout | conn
    error: str = ""
    reason: str = ""  # drop reason
    retry_after_s: float | None = None
    exc: BaseException | None = None  # fatal


def retry_delay(
    attempt: int,
    base_s: float,
    cap_s: float,
    retry_after_s: float | None = None,
    rng: random.Random | None = None,
) -> float:
    """Seconds before retry number `attempt` (1-based): the server's Retry-After when it sent one, else
    exponential backoff with "equal jitter" (half fixed, half random), so many clients that failed together do
    not retry together (https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/)."""
    if retry_after_s is not None:
        return min(max(retry_after_s, 0.0), cap_s)
    step = min(cap_s, base_s * 2 ** (attempt - 1))
    return step / 2 + (rng or random).uniform(0, step / 2)


class _Workers:
    """Daemon threads, started as needed, never more than requests in flight (so a Ctrl-C never waits on them)."""

    def __init__(self):
        self._q: queue.SimpleQueue = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._busy = self._started = 0

    def submit(self, fn: Callable, *args) -> None:
        with self._lock:
            self._busy += 1
            if self._busy > self._started:
                self._started += 1
                threading.Thread(target=self._loop, daemon=True, name="engine-request").start()
        self._q.put((fn, args))

    def _loop(self) -> None:
        while (item := self._q.get()) is not None:
            try:
                item[0](*item[1])
            finally:
                with self._lock:
                    self._busy -= 1

    def stop(self) -> None:
        for _ in range(self._started):
            self._q.put(None)


class Fleet:
    def __init__(self, config: EngineConfig, headers: dict[str, str], progress_file=None):
        self.cfg = config
        self.endpoints = [
            Endpoint(u.rstrip("/"), config.max_in_flight, config.timeout_s, headers) for u in config.urls
        ]
        self.workers = _Workers()
        self.rng = random.Random()
        self.progress_file = progress_file
        self.wall_s = 0.0
        self._lock = threading.Lock()
        self._logged_at = 0  # requests counted when the table was last logged
        _FLEETS.add(self)

    # -- health -----------------------------------------------------------------------------------------
    def preflight(self, probe: Callable[[Endpoint], str | None]) -> None:
        """Probe every endpoint at once; unreachable ones start down. `probe` returns an error or None and may
        raise an EngineError (e.g. the model is not served), which stops here."""
        results: queue.SimpleQueue = queue.SimpleQueue()
        for ep in self.endpoints:
            self.workers.submit(self._probe, probe, ep, results)
        answers = dict(results.get() for _ in self.endpoints)
        for err in answers.values():
            if isinstance(err, BaseException):
                raise err
        if all(err is not None for err in answers.values()):  # one line says it all: no warnings before it
            raise ServerUnreachable(
                "no OpenAI-compatible server reachable: "
                + "; ".join(f"{e.url} ({answers[e]})" for e in self.endpoints)
                + ". Start one (e.g. `vllm serve MODEL`) or fix engine.base_url"
            )
        for ep in self.endpoints:
            self._after_probe(ep, answers[ep], first=True)

    def _probe(self, probe, ep: Endpoint, results) -> None:
        try:
            results.put((ep, probe(ep)))
        except BaseException as e:  # noqa: BLE001 - handed to the dispatching thread
            results.put((ep, e))

    def _after_probe(self, ep: Endpoint, err: str | None, first: bool = False) -> None:
        ep.probing = False
        if err is None:
            if not ep.up:
                log.warning("engine: %s answers again; back in the fleet", ep.url)
            ep.down_until, ep.failures_in_a_row = None, 0
            return
        ep.last_error = err
        ep.down_until = time.monotonic() + self.cfg.down_retry_s
        if first:
            ep.stats.went_down += 1
            log.warning(
                "engine: %s unreachable (%s); probing it every %g s", ep.url, err, self.cfg.down_retry_s
            )

    def _failed(self, ep: Endpoint, out: Outcome) -> None:
        s = ep.stats
        s.rate_limited += out.failure == "429"
        s.server_errors += out.failure == "5xx"
        s.timeouts += out.failure == "timeout"
        s.conn_errors += out.failure == "conn"
        if out.failure == "429":  # busy, not broken: back off, keep it in the fleet
            return
        ep.failures_in_a_row += 1
        ep.last_error = out.error
        if ep.up and ep.failures_in_a_row >= self.cfg.down_after:
            ep.down_until = time.monotonic() + self.cfg.down_retry_s
            ep.stats.went_down += 1
            log.warning(
                "engine: %s marked down after %d failures in a row (last: %s); probing it every %g s",
                ep.url,
                ep.failures_in_a_row,
                out.error,
                self.cfg.down_retry_s,
            )

    def _pick(self) -> Endpoint | None:
        free = [e for e in self.endpoints if e.up and e.in_flight < e.limit]
        return min(free, key=lambda e: (e.load(), e.stats.requests)) if free else None

    # -- the loop ---------------------------------------------------------------------------------------
    def _call(self, send, task: Task, ep: Endpoint, results) -> None:
        try:
            out = send(task, ep)
        except BaseException as e:  # noqa: BLE001 - a bug in send: raised again in the dispatching thread
            out = Outcome("fatal", exc=e)
        with self._lock:
            ep.in_flight -= 1
        results.put(("done", task, ep, out))

    def run(
        self, tasks: list[Task], send: Callable[[Task, Endpoint], Outcome], probe: Callable, total: int
    ) -> Iterator[tuple[Task, Outcome]]:
        """Yield (task, outcome) for every ok or dropped request as it arrives; retries happen inside."""
        ready, delayed, results = deque(tasks), [], queue.SimpleQueue()
        in_flight, fatal, all_down_since, seq = 0, None, None, 0
        bar = ProgressBar(self.endpoints, total, self.progress_file, self.cfg.progress)
        start = time.monotonic()
        try:
            while ready or delayed or in_flight:
                now = time.monotonic()
                while delayed and delayed[0][0] <= now:
                    ready.append(heapq.heappop(delayed)[2])
                for ep in self.endpoints:
                    if not ep.up and not ep.probing and now >= ep.down_until:
                        ep.probing = True
                        self.workers.submit(lambda e=ep: results.put(("probe", e, _safe(probe, e))))
                while fatal is None and ready and (ep := self._pick()) is not None:
                    task = ready.popleft()
                    if task.count > 1 and not ep.supports_n:
                        ready.extendleft(reversed(task.split()))
                        continue
                    with self._lock:
                        ep.in_flight += 1
                    ep.stats.requests += 1
                    in_flight += 1
                    self.workers.submit(self._call, send, task, ep, results)
                if fatal is None and not in_flight and not any(e.up for e in self.endpoints):
                    all_down_since = all_down_since or now
                    if now - all_down_since > self.cfg.give_up_s:
                        fatal = ServerUnreachable(
                            f"no endpoint has answered for {self.cfg.give_up_s:.0f} s: "
                            + "; ".join(f"{e.url} ({e.last_error})" for e in self.endpoints)
                            + ". Finished completions are cached: re-run to resume"
                        )
                else:
                    all_down_since = None
                if fatal is not None and not in_flight:
                    break
                wake = (
                    [BAR_REFRESH_S]
                    + [d[0] - now for d in delayed[:1]]
                    + [e.down_until - now for e in self.endpoints if not e.up and not e.probing]
                )
                try:
                    msg = results.get(timeout=max(0.001, min(wake)))
                except queue.Empty:
                    bar.refresh()
                    continue
                if msg[0] == "probe":
                    if isinstance(msg[2], BaseException):
                        fatal = fatal or msg[2]
                        msg[1].probing = False
                    else:
                        self._after_probe(msg[1], msg[2])
                    continue
                _, task, ep, out = msg
                in_flight -= 1
                bar.count(task, out)
                if out.kind in ("ok", "drop"):
                    ep.failures_in_a_row = 0
                    if out.kind == "ok":
                        ep.stats.ok += 1
                        ep.stats.completions += len(out.samples)
                        ep.stats.tokens += out.tokens
                        ep.stats.busy_s += out.latency_s
                        if out.missing:  # fewer choices than `n`: this server ignores it, ask one by one
                            ep.supports_n = False
                            ready.extend(Task(task.t, j, 1) for j in out.missing)
                    else:
                        ep.stats.dropped += 1
                    yield task, out
                elif out.kind == "no_n":
                    ep.supports_n = False
                    ready.extendleft(reversed(task.split()))
                elif out.kind == "retry":
                    self._failed(ep, out)
                    task.attempts += 1
                    if task.attempts > self.cfg.max_retries:
                        fatal = fatal or RetriesExhausted(
                            f"{ep.url}/completions: failed after {task.attempts} attempts ({out.error}). "
                            "Finished completions are cached: re-run to resume"
                        )
                    else:
                        seq += 1
                        delay = retry_delay(
                            task.attempts,
                            self.cfg.backoff_s,
                            self.cfg.backoff_max_s,
                            out.retry_after_s,
                            self.rng,
                        )
                        heapq.heappush(delayed, (time.monotonic() + delay, seq, task))
                else:
                    fatal = fatal or out.exc
        finally:
            self.wall_s += time.monotonic() - start
            bar.close()
        if fatal is not None:
            raise fatal

    # -- reporting --------------------------------------------------------------------------------------
    def table(self) -> str:
        """Per-endpoint totals since this fleet was made (state, requests, failures by kind, throughput)."""
        from datamill.report import table

        rows = []
        for e in self.endpoints:
            s = e.stats
            rows.append(
                [
                    e.url,
                    "up" if e.up else "down",
                    s.requests,
                    s.ok,
                    s.rate_limited,
                    s.server_errors,
                    s.timeouts,
                    s.conn_errors,
                    s.dropped,
                    s.completions,
                    s.tokens,
                    f"{s.ok / self.wall_s:.1f}" if self.wall_s else "-",
                    f"{s.busy_s / s.ok:.2f}" if s.ok else "-",
                ]
            )
        return table(
            [
                "endpoint",
                "state",
                "requests",
                "ok",
                "429",
                "5xx",
                "timeouts",
                "conn err",
                "dropped",
                "completions",
                "tokens",
                "req/s",
                "latency s",
            ],
            rows,
        )

    def log_table(self) -> None:
        sent = sum(e.stats.requests for e in self.endpoints)
        if sent > self._logged_at:
            self._logged_at = sent
            log.info("engine endpoints:\n%s", self.table())

    def close(self) -> None:
        self.workers.stop()
        for e in self.endpoints:
            e.close()


def _safe(probe, ep: Endpoint):
    try:
        return probe(ep)
    except BaseException as e:  # noqa: BLE001 - handed to the dispatching thread
        return e
