"""LogicVerifier: score a response with the reasoning-gym task's own `score_answer` (fixed seeds rebuild the
exact entry the question came from)."""

from __future__ import annotations

import functools

from generators.verify.response import tagged_answer
from schemas import Verdict

NAME = "reasoning_gym"


@functools.lru_cache(maxsize=64)
def rg_dataset(task: str, seed: int, size: int):
    import reasoning_gym

    return reasoning_gym.create_dataset(task, seed=seed, size=size)


class LogicVerifier:
    def __init__(self, min_score: float = 1.0):  # reasoning-gym scores 1.0 for a fully correct answer
        self.min_score = min_score

    def verify(self, response: str, task: str, seed: int, size: int, index: int) -> Verdict:
        answer = tagged_answer(response)
        if answer is None:
            return Verdict(verifier=NAME, passed=False, reason="no_answer")
        ds = rg_dataset(task, seed, size)
        entry = ds[index]
        try:
            score = float(ds.score_answer(answer=answer, entry=entry))
        except Exception as e:  # noqa: BLE001 — a task's scorer choking on odd text is a wrong answer, with the error kept
            return Verdict(
                verifier=NAME, passed=False, reason="wrong_answer", details={"error": str(e)[:200]}
            )
        ok = score >= self.min_score
        return Verdict(
            verifier=NAME,
            passed=ok,
            reason="" if ok else "wrong_answer",
            details={"score": score, "answer": answer[:200], "task": task},
        )
