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

from generators.verify.answers import answers_equal, extract_answer, fast_equal
from generators.verify.response import split_thought
from schemas import Verdict

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


def quick_verdict(gold: str, response: str, finish_reason: str | None = None) -> tuple[bool, str, dict] | None:
    """The verdict when strings alone decide it (no final part, or equal by our normalisation); else None.
    No sympy, so it is safe to run in the caller's process and costs microseconds."""
    final, why = final_or_reason(response, finish_reason)
    if final is None:
        return False, "no_final_answer", {"gold": gold, **why}
    cand, _ = extract_answer(final)
    method = fast_equal(gold, cand) if cand is not None else None
    if method:
        return True, "", {"gold": gold, "answer": cand[:200], "method": method}
    return None


def check_math(gold: str, response: str, finish_reason: str | None = None) -> tuple[bool, str, dict]:
    """Pure check (call it in a worker: it may run sympy). Returns (passed, reason, details)."""
    quick = quick_verdict(gold, response, finish_reason)
    if quick is not None:
        return quick
    final, _ = final_or_reason(response, finish_reason)
    eq = answers_equal(gold, final or "")
    details = {"gold": gold, "answer": eq.answer}
    return eq.equal, eq.reason, ({**details, "method": eq.method} if eq.equal else details)


class MathVerifier:
    def __init__(self, workers: int = 1, timeout_s: float = 10.0):
        self.workers, self.timeout_s = workers, timeout_s
        self._pool: cf.ProcessPoolExecutor | None = None

    def _new_pool(self) -> cf.ProcessPoolExecutor:
        # forkserver: safe with threads in the parent (torch, duckdb); workers import math-verify once.
        return cf.ProcessPoolExecutor(self.workers, mp_context=mp.get_context("forkserver"))

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
        todo = [i for i in range(len(pairs)) if out[i] is None]
        while todo:
            self._pool = self._pool or self._new_pool()
            futs = {i: self._pool.submit(check_math, *pairs[i]) for i in todo}
            todo = []
            for i, fut in futs.items():
                if out[i] is not None:
                    continue
                try:
                    ok, reason, details = fut.result(timeout=self.timeout_s)
                    out[i] = Verdict(verifier=NAME, passed=ok, reason=reason, details=details)
                except cf.TimeoutError:
                    out[i] = Verdict(
                        verifier=NAME, passed=False, reason="timeout", details={"timeout_s": self.timeout_s}
                    )
                    self._kill_pool()  # the stuck worker dies; the rest are re-submitted
                    todo = [j for j in futs if out[j] is None and j != i]
                    break
                except Exception as e:  # noqa: BLE001 — a math-verify crash on odd input is a verdict
                    out[i] = Verdict(
                        verifier=NAME,
                        passed=False,
                        reason="verifier_error",
                        details={"error": f"{type(e).__name__}: {e}"[:300]},
                    )
        return out  # type: ignore[return-value]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
