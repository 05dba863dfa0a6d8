"""GSM8K and MATH → SeedProblem (ground truth = the dataset's final answer; reference = its worked solution)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from schemas.seed import SeedProblem

_CALC = re.compile(r"<<[^>]*>>")  # GSM8K calculator annotations, e.g. <<48/2=24>>


def last_boxed(text: str) -> str | None:
    """Content of the last \\boxed{...} (or \\fbox{...}), braces balanced; None when absent."""
    start = max(text.rfind("\\boxed"), text.rfind("\\fbox"))
    if start < 0:
        return None
    i = text.find("{", start)
    if i < 0:
        return None
    depth = 0
    for j in range(i, len(text)):
        depth += {"{": 1, "}": -1}.get(text[j], 0)
        if depth == 0:
            return text[i + 1 : j]
    return None


def _jsonl(path: Path, errors: list[str]):
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            yield n, json.loads(line)
        except json.JSONDecodeError as e:
            errors.append(f"{path}:{n}: malformed JSON ({e.msg})")


def read_gsm8k(path: Path, limit: int | None, errors: list[str]) -> list[SeedProblem]:
    out = []
    for n, row in _jsonl(path, errors):
        q, a = row.get("question"), row.get("answer")
        if not q or not a or "####" not in a:
            errors.append(f"{path}:{n}: GSM8K row without question / '#### answer'")
            continue
        work, final = a.rsplit("####", 1)
        final = final.strip().replace(",", "")
        reference = _CALC.sub("", work).strip() + f"\n\nThe final answer is $\\boxed{{{final}}}$."
        out.append(SeedProblem(id=f"gsm8k:train:{n}", source=f"{path.name}:{n}", domain="math", question=q,
                               ground_truth=final, reference_solution=reference, license="MIT"))
        if limit and len(out) >= limit:
            break
    return out


def read_math(path: Path, limit: int | None, errors: list[str]) -> list[SeedProblem]:
    out = []
    for n, row in _jsonl(path, errors):
        q, sol = row.get("problem"), row.get("solution")
        gold = last_boxed(sol or "")
        if not q or not sol or gold is None:
            errors.append(f"{path}:{n}: MATH row without problem / \\boxed answer")
            continue
        uid = row.get("unique_id", str(n))
        out.append(SeedProblem(id=f"math:{uid}", source=f"{path.name}:{n}", domain="math", question=q,
                               ground_truth=gold, reference_solution=sol, license="MIT",
                               metadata={"level": row.get("level", ""), "type": row.get("type", "")}))
        if limit and len(out) >= limit:
            break
    return out
