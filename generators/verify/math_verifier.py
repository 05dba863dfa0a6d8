"""MathVerifier: is the response's final answer equal to the ground truth? (generators.verify.answers)

The verdict is on the whole response: the answer is read only from the final part (after `</think>`); a
response cut off before it (finish_reason `length`, a thought never closed) or whose final part states no
answer is rejected as `no_final_answer` here, not left to the degeneration filter.

math-verify's own timeouts use `signal.alarm` (main thread only), so we pass `parsing_timeout=None` /
`timeout_seconds=None` and bound time ourselves: the string-only fast path runs in the caller's process, every
other check runs in worker processes and a check that exceeds `timeout_s` gets its worker killed and the
verdict "timeout".
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing as mp

from generators.verify.answers import answers_equal, extract_answer, fast_equal, proven_different
from schemas import Verdict
from schemas.chat_format import split_thought

NAME = "math_verify"
CUT_OFF = ("length",)  # finish reasons of a response the engine stopped before it ended (OpenAI / vLLM names)


def final_or_reason(response: str, finish_reason: str | None = None) -> tuple[str | None, dict]:
    """(final part, {}) or (None, details of why the response has no final part)."""
    if finish_reason in CUT_OFF:
        return None, {"finish_reason": finish_reason}
    _, final = split_thought(response)
    if final is None:
        return None, {"cut_off": "thought never closed"}
    if not final.strip():
        return None, {"cut_off": "nothing after the thought"}
    return final, {}


def quick_verdict(
    gold: str, response: str, finish_reason: str | None = None
) -> tuple[bool, str, dict] | None:
    """The verdict when strings and exact arithmetic decide it (no final part; equal by our normalisation; values
    proven different); else None. No sympy and bounded work, so it runs in the caller's process in microseconds."""
    final, why = final_or_reason(response, finish_reason)
    if final is None:
        return False, "no_final_answer", {"gold": gold, **why}
    cand, _ = extract_answer(final)
    if cand is None:
        return None
    method = fast_equal(gold, cand)
    if method:
        return True, "", {"gold": gold, "answer": cand[:200], "method": method}
    if proven_different(gold, cand):
        return False, "wrong_answer", {"gold": gold, "answer": cand[:200], "method": "exact"}
    return None


def check_math(gold: str, response: str, finish_reason: str | None = None) -> tuple[bool, str, dict]:
    """Pure check (call it in a worker: it may run sympy). Returns (passed, reason, details)."""
    quick = quick_verdict(gold, response, finish_reason)
    if quick is not None:
        return quick
    final, _ = final_or_reason(response, finish_reason)
    eq = answers_equal(gold, final or "")
    details = {"gold": gold, "answer": eq.answer}
    return eq.equal, eq.reason, ({**details, "method": eq.method} if eq.method else details)


def _warm(_: int) -> None:
    import time

    answers_equal("\\sqrt{2}", "$\\boxed{2^{1/2}}$")  # imports math-verify and sympy in this worker
    time.sleep(0.5)  # hold this worker so the next warm-up task goes to another one


def check_chunk(items: list[tuple]) -> list[tuple[bool, str, dict]]:
    """check_math over several pairs in one worker call (one round trip); a crash on odd input is that pair's
    verdict, not the chunk's."""
    out = []
    for item in items:
        try:
            out.append(check_math(*item))
        except Exception as e:  # noqa: BLE001 — a math-verify crash on odd input is a verdict
            out.append((False, "verifier_error", {"error": f"{type(e).__name__}: {e}"[:300]}))
    return out


class MathVerifier:
    def __init__(self, workers: int = 1, timeout_s: float = 10.0, chunk: int = 8):
        # chunk: pairs per worker round trip; a chunk gets chunk × timeout_s, and after a timeout the rest run
        # one pair at a time, so the stuck pair is the one that gets the "timeout" verdict
        self.workers, self.timeout_s, self.chunk = workers, timeout_s, chunk
        self._pool: cf.ProcessPoolExecutor | None = None

    def _new_pool(self) -> cf.ProcessPoolExecutor:
        # forkserver: safe with threads in the parent (torch, duckdb); workers import math-verify once.
        return cf.ProcessPoolExecutor(self.workers, mp_context=mp.get_context("forkserver"))

    def warm_up(self) -> None:
        """Start every worker and import math-verify in it (a one-off second or two each), e.g. before timing."""
        self._pool = self._pool or self._new_pool()
        list(self._pool.map(_warm, range(self.workers)))

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def _kill_pool(self) -> None:
        for p in list(getattr(self._pool, "_processes", {}).values()):
            p.kill()
        self.close()

    def verify(self, gold: str, response: str, finish_reason: str | None = None) -> Verdict:
        return self.verify_many([(gold, response, finish_reason)])[0]

    def verify_many(self, pairs: list[tuple[str, str] | tuple[str, str, str | None]]) -> list[Verdict]:
        """One verdict per (gold, response[, finish_reason]), in order."""
        out: list[Verdict | None] = [None] * len(pairs)
        for i, p in enumerate(pairs):  # strings-only verdicts need no worker (no IPC, no sympy)
            quick = quick_verdict(*p)
            if quick is not None:
                out[i] = Verdict(verifier=NAME, passed=quick[0], reason=quick[1], details=quick[2])
        todo, size = [i for i in range(len(pairs)) if out[i] is None], max(1, self.chunk)
        while todo:
            self._pool = self._pool or self._new_pool()
            chunks = [todo[k : k + size] for k in range(0, len(todo), size)]
            futs = [(c, self._pool.submit(check_chunk, [pairs[i] for i in c])) for c in chunks]
            todo = []
            for c, fut in futs:
                try:
                    for i, (ok, reason, details) in zip(c, fut.result(timeout=self.timeout_s * len(c))):
                        out[i] = Verdict(verifier=NAME, passed=ok, reason=reason, details=details)
                except cf.TimeoutError:
                    self._kill_pool()  # the stuck worker dies; what is left is re-submitted
                    if len(c) == 1:
                        out[c[0]] = Verdict(
                            verifier=NAME,
                            passed=False,
                            reason="timeout",
                            details={"timeout_s": self.timeout_s},
                        )
                    todo, size = [j for cc, _ in futs for j in cc if out[j] is None and [j] != c], 1
                    break
        return out  # type: ignore[return-value]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
