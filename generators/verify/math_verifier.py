"""MathVerifier: is the response's final answer equal to the ground truth? (math-verify, HF)

math-verify's own timeouts use `signal.alarm` (main thread only), so we pass `parsing_timeout=None` /
`timeout_seconds=None` and bound time ourselves: checks run in worker processes and a check that exceeds
`timeout_s` gets its worker killed and the verdict "timeout".
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing as mp

from generators.verify.response import final_part
from schemas import Verdict

NAME = "math_verify"


def _as_latex(gold: str) -> str:
    gold = gold.strip()
    return gold if "$" in gold or "\\boxed" in gold else f"${gold}$"


def check_math(gold: str, response: str) -> tuple[bool, str, dict]:
    """Pure check (call it in a worker). Order matters: verify(parse(gold), parse(answer))."""
    import logging

    from math_verify import parse, verify

    logging.getLogger("math_verify").setLevel(
        logging.ERROR
    )  # "timeout is disabled" notice: we bound time here
    gold_p = parse(_as_latex(gold), parsing_timeout=None)
    if not gold_p:
        return False, "gold_unparseable", {"gold": gold}
    answer = final_part(response)
    ans_p = parse(answer, parsing_timeout=None)
    if not ans_p:
        return False, "no_answer", {"gold": gold}
    ok = verify(gold_p, ans_p, timeout_seconds=None)
    return bool(ok), ("" if ok else "wrong_answer"), {"gold": gold, "parsed": str(ans_p[-1])[:200]}


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

    def verify(self, gold: str, response: str) -> Verdict:
        return self.verify_many([(gold, response)])[0]

    def verify_many(self, pairs: list[tuple[str, str]]) -> list[Verdict]:
        out: list[Verdict | None] = [None] * len(pairs)
        todo = list(range(len(pairs)))
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
