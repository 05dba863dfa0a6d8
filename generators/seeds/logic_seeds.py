"""reasoning-gym procedural logic tasks → SeedProblem. Fixed (task, seed, size) make every entry reproducible,
so the verifier rebuilds the exact entry and scores with the task's own `score_answer`."""

from __future__ import annotations

import json

from schemas.seed import SeedProblem

ANSWER_FORMAT = "Give your final answer inside <answer></answer> tags."


def read_reasoning_gym(tasks: list[str], size: int, seed: int, errors: list[str]) -> list[SeedProblem]:
    from generators.verify.logic_verifier import rg_dataset

    out = []
    for task in tasks:
        try:
            ds = rg_dataset(task, seed, size)
        except Exception as e:  # noqa: BLE001 — unknown task name or bad task config: report and continue with the others
            errors.append(f"reasoning_gym:{task}: cannot build ({type(e).__name__}: {e})")
            continue
        for i in range(size):
            entry = ds[i]
            # some tasks (propositional_logic) have no single answer: their score_answer checks validity, and
            # metadata carries one valid example
            answer = (
                entry["answer"]
                if entry["answer"] is not None
                else entry.get("metadata", {}).get("example_answer")
            )
            if answer is None:
                errors.append(f"reasoning_gym:{task}:{i}: entry has no answer and no example_answer; skipped")
                continue
            meta = {
                "task": task,
                "rg_seed": seed,
                "rg_size": size,
                "rg_index": i,
                "rg_metadata": json.loads(json.dumps(entry.get("metadata", {}), default=str)),
            }
            out.append(
                SeedProblem(
                    id=f"logic:{task}:{seed}:{i}",
                    source=f"reasoning_gym:{task}:seed={seed}:{i}",
                    domain="logic",
                    question=f"{entry['question']}\n\n{ANSWER_FORMAT}",
                    ground_truth=str(answer),
                    reference_solution=f"<answer>{answer}</answer>",
                    license="Apache-2.0",
                    metadata=meta,
                )
            )
    return out
