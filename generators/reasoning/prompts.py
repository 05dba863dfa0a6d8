"""Pure parts of the math/code/logic generator: build the prompt, a reference as a reasoning response, the
difficulty bucket (a response is split into think + answer by `schemas.chat_format.reasoning_and_answer`)."""

from __future__ import annotations

from schemas import Message
from schemas.seed import SeedProblem

MATH_SUFFIX = "\n\nPlease reason step by step, and put your final answer within \\boxed{}."


def build_prompt(seed: SeedProblem) -> list[Message]:
    """The user turn the model sees. Code and logic questions already carry their answer format."""
    question = seed.question + (MATH_SUFFIX if seed.domain == "math" else "")
    return [Message(role="user", content=question)]


def reference_as_reasoning(seed: SeedProblem) -> str:
    """A dataset's worked solution as a reasoning-mode response: the solution is the trace, then the answer
    (GSM8K references already end with that sentence: it is said once, after the trace)."""
    final = f"The final answer is $\\boxed{{{seed.ground_truth}}}$."
    trace = seed.reference_solution.strip().removesuffix(final).rstrip()
    return f"<think>\n{trace}\n</think>\n\n{final}"


def difficulty(pass_rate: float | None) -> str:
    """Buckets over the model's own pass rate on the query (EXAONE 4.0 selects by difficulty; RL drops 8/8)."""
    if pass_rate is None:
        return "unknown"
    if pass_rate == 0:
        return "unsolved"
    if pass_rate < 1 / 3:
        return "hard"
    if pass_rate < 2 / 3:
        return "medium"
    if pass_rate < 1:
        return "easy"
    return "solved_all"
