"""The hybrid reward and chosen/rejected selection. Pure: inputs are plain values, no I/O, no model."""

from __future__ import annotations

from dataclasses import dataclass, field

from generators.preference.config import RewardWeights


@dataclass
class Scored:
    """One response to a query with the parts of its reward."""

    id: str
    correct: bool
    length: int  # tokens of the assistant response (reasoning + answer)
    language_ok: bool | None = None  # None: not checked
    judge: float | None = None  # judge / reward-model score in [0, 1]
    parts: dict[str, float] = field(default_factory=dict)
    reward: float = 0.0


def score_group(group: list[Scored], w: RewardWeights) -> list[Scored]:
    """Fill `parts` and `reward` (weighted mean of the parts present) for every response of one query."""
    shortest = min((s.length for s in group), default=1) or 1
    for s in group:
        parts = {"correct": 1.0 if s.correct else 0.0, "conciseness": shortest / max(s.length, 1)}
        if s.language_ok is not None:
            parts["language"] = 1.0 if s.language_ok else 0.0
        if s.judge is not None:
            parts["judge"] = float(min(1.0, max(0.0, s.judge)))
        weights = {k: getattr(w, k) for k in parts}
        total_w = sum(weights.values())
        s.parts = {k: round(v, 6) for k, v in parts.items()}
        s.reward = round(sum(weights[k] * v for k, v in parts.items()) / total_w, 6) if total_w else 0.0
    return group


def select_pair(
    group: list[Scored], selection: str = "shortest_correct", min_margin: float = 0.1
) -> tuple[Scored, Scored] | str:
    """(chosen, rejected), or the snake_case reason no pair is made. Ties break on id (deterministic)."""
    if selection == "shortest_correct":
        correct = [s for s in group if s.correct]
        if not correct:
            return "no_correct_response"
        wrong = [s for s in group if not s.correct]
        if not wrong:
            return "all_correct"
        consistent = [s for s in correct if s.language_ok is not False] or correct
        chosen = min(consistent, key=lambda s: (s.length, s.id))
        rejected = min(wrong, key=lambda s: (s.reward, s.id))
        return chosen, rejected
    if selection == "max_reward":
        ranked = sorted(group, key=lambda s: (-s.reward, s.id))
        if ranked[0].reward - ranked[-1].reward < min_margin:
            return "reward_margin_too_small"
        return ranked[0], ranked[-1]
    raise ValueError(f"unknown selection {selection!r} (shortest_correct | max_reward)")
