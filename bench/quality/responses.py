"""Whole-response math verdicts: plain math-verify on the raw response vs ours (check_math with finish_reason).

Responses are built from real worked solutions (GSM8K / MATH train, every 10th problem): the solution is the
`<think>` trace (MATH solutions box their answer inside it; GSM8K ones end on the computed number), then a final
part. Kinds: complete and correct; complete with a wrong final answer (one digit changed); cut off — the engine
stopped (`finish_reason="length"`) inside the thought, inside the final `\\boxed{`, or just after a complete final
answer; no final answer — the answer only inside the thought, or nothing after `</think>`.
Plain = `verify(parse("\\boxed{gold}"), parse(response))`; it cannot see `finish_reason`, so it judges the text.
"""

from __future__ import annotations

import json
import re
from collections import Counter

from bench.quality import Row
from bench.quality.math import cpu_timed, plain_verdict

AREA = "whole-response math verdicts"


def _wrong(gold: str) -> str | None:
    digits = [m.start() for m in re.finditer(r"\d", gold)]
    if not digits:
        return None
    i = digits[-1]
    return gold[:i] + str((int(gold[i]) + 1) % 10) + gold[i + 1 :]


def responses(data, every: int, limit: int | None) -> dict[str, list[tuple[str, str, str, str]]]:
    """{kind: [(gold, response, finish_reason, source id)]}."""
    from generators.verify.answers import last_boxed

    sources = []
    lines = (data / "math/gsm8k_train.jsonl").read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines[::every]):
        work, gold = json.loads(line)["answer"].rsplit("####", 1)
        sources.append((f"gsm8k:{i * every}", gold.strip(), re.sub(r"<<[^>]*>>", "", work).strip()))
    lines = (data / "math/math_train.jsonl").read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines[::every]):
        sol = json.loads(line)["solution"]
        if last_boxed(sol):
            sources.append((f"math:{i * every}", last_boxed(sol), sol))
    sources = sources[:limit] if limit else sources
    kinds: dict[str, list] = {
        k: []
        for k in (
            "complete, correct",
            "complete, wrong final answer",
            "cut off (finish_reason length)",
            "no final answer",
        )
    }
    for sid, gold, work in sources:
        final = f"The final answer is $\\boxed{{{gold}}}$."
        kinds["complete, correct"].append((gold, f"<think>\n{work}\n</think>\n\n{final}", "stop", sid))
        wrong = _wrong(gold)
        if wrong:
            kinds["complete, wrong final answer"].append(
                (gold, f"<think>\n{work}\n</think>\n\nThe final answer is $\\boxed{{{wrong}}}$.", "stop", sid)
            )
        kinds["cut off (finish_reason length)"] += [
            (gold, f"<think>\n{work}\n", "length", f"{sid} mid-thought"),
            (
                gold,
                f"<think>\n{work}\n</think>\n\nThe final answer is $\\boxed{{",
                "length",
                f"{sid} in the box",
            ),
            (
                gold,
                f"<think>\n{work}\n</think>\n\n{final} Let me double-check this by",
                "length",
                f"{sid} after",
            ),
        ]
        kinds["no final answer"] += [
            (gold, f"<think>\n{work}\n</think>\n\nI hope this helps.", "stop", f"{sid} only in thought"),
            (gold, f"<think>\n{work}\n</think>\n\n", "stop", f"{sid} empty final"),
        ]
    return kinds


def run(quick: bool) -> list[Row]:
    from datamill.demo_data import EXAMPLES, shared_data
    from generators.verify.answers import canonical, parsed_gold
    from generators.verify.math_verifier import check_math

    data = shared_data() if shared_data() is not None and not quick else EXAMPLES
    plain_verdict("1", "$1$"), check_math("2", "$\\frac{4}{2}$")  # imports and first parse outside the timing
    rows = []
    for kind, items in responses(data, 10, 30 if quick else None).items():
        good = kind == "complete, correct"
        plain, plain_rate = cpu_timed(lambda it: plain_verdict(it[0], it[1]), items)
        canonical.cache_clear()
        parsed_gold.cache_clear()
        ours_r, ours_rate = cpu_timed(lambda it: check_math(it[0], it[1], it[2]), items)
        n = len(items)
        p_err = sum(v != good for v in plain)
        o_err = [(it, r) for it, r in zip(items, ours_r) if r[0] != good]
        reasons = Counter(r[1] for r in ours_r)
        notes = [f"{kind}: our reasons {dict(reasons.most_common())}"]
        notes += [f"{kind}: ours wrong on {it[3]} ({r[1] or 'accepted'})" for it, r in o_err[:3]]
        floor = "100% accepted" if good else "100% rejected"
        rows.append(
            Row(
                AREA,
                kind,
                n,
                1 - p_err / n,
                1 - len(o_err) / n,
                0 if good else p_err,
                0 if good else len(o_err),
                p_err if good else 0,
                len(o_err) if good else 0,
                plain_rate,
                ours_rate,
                floor + ", ≥ 1× plain",
                not o_err and ours_rate >= plain_rate,
                notes,
            )
        )
    return rows
