"""GSM8K and MATH → SeedProblem (ground truth = the dataset's final answer; reference = its worked solution)."""

from __future__ import annotations

import re
from pathlib import Path

from datamill.readers import iter_jsonl_errors
from generators.verify.answers import last_boxed
from schemas.seed import SeedProblem

_CALC = re.compile(r"<<[^>]*>>")  # GSM8K calculator annotations, e.g. <<48/2=24>>
_CALC_RESULT = re.compile(r"<<[^>]*=\s*([-\d.,]+)\s*>>")
_NUMBER = re.compile(r"-?\d{1,3}(?:[, ]\d{3})+(?:\.\d+)?|-?\d+(?:\.\d+)?")  # 1,000 / 1 000 / 12.5


def _num(x: str) -> float | None:
    try:
        return float(x.replace(",", "").replace(" ", "").rstrip("."))
    except ValueError:
        return None


def worked_answer(work: str, gold: str) -> str | None:
    """The answer the worked solution itself states in its concluding line (independent of '#### answer'):
    the gold number if that line (or the last calculator result) contains it, else the line's last calculator
    result / last number. A reference whose conclusion contradicts its ground truth is thereby caught."""
    lines = [ln for ln in work.splitlines() if ln.strip()]
    if not lines:
        return None
    last = lines[-1]
    calc_all = _CALC_RESULT.findall(work)
    candidates = _NUMBER.findall(_CALC.sub("", last)) + _CALC_RESULT.findall(last) + calc_all[-1:]
    g = _num(gold)
    if g is not None and any(_num(c) == g for c in candidates):
        return gold
    ordered = _CALC_RESULT.findall(last) or _NUMBER.findall(_CALC.sub("", last)) or calc_all
    return ordered[-1].replace(",", "").replace(" ", "").rstrip(".") if ordered else None


def _jsonl(path: Path, errors: list[str]):
    """Good lines of a JSONL file; bad ones (malformed JSON, invalid UTF-8) go to `errors` as file:line."""
    yield from iter_jsonl_errors(path, errors)


def read_gsm8k(path: Path, limit: int | None, errors: list[str]) -> list[SeedProblem]:
    out = []
    for n, row in _jsonl(path, errors):
        q, a = row.get("question"), row.get("answer")
        if not q or not a or "####" not in a:
            errors.append(f"{path}:{n}: GSM8K row without question / '#### answer'")
            continue
        work, final = a.rsplit("####", 1)
        final = final.strip().replace(",", "")
        reached = worked_answer(work, final)
        reference = _CALC.sub("", work).strip()
        if reached is not None:
            reference += f"\n\nThe final answer is $\\boxed{{{reached}}}$."
        out.append(
            SeedProblem(
                id=f"gsm8k:train:{n}",
                source=f"{path.name}:{n}",
                domain="math",
                question=q,
                ground_truth=final,
                reference_solution=reference,
                license="MIT",
            )
        )
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
        out.append(
            SeedProblem(
                id=f"math:{uid}",
                source=f"{path.name}:{n}",
                domain="math",
                question=q,
                ground_truth=gold,
                reference_solution=sol,
                license="MIT",
                metadata={"level": row.get("level", ""), "type": row.get("type", "")},
            )
        )
        if limit and len(out) >= limit:
            break
    return out
