"""verify_bench: math verdicts vs plain math-verify called in-process, per core; sandboxed code programs/s vs a
naive subprocess-per-test baseline; MBPP / MBPP+ / HumanEval canonical solutions must pass (≥ 99 %) and mutated
ones be rejected. Every baseline is measured in the same run.

    .venv/bin/python bench/verify_bench.py            # full (../shared/data when present), ~3-4 min
    .venv/bin/python bench/verify_bench.py --quick    # small N, ~1 min

Math: the same pairs (reference solutions, label correct, + a wrong boxed answer, label wrong) through plain
math-verify in this process on one core — `verify(parse("\\boxed{gold}"), parse(response))`, the way a user calls
it — and through ours: `check_math` in this process on one core, then `MathVerifier` with 1 and 2 worker
processes (time-bounded, what the pipeline runs). Code: one plain subprocess per test assertion (no sandbox), 2 at
a time, like a naive checker.
"""

from __future__ import annotations

import argparse
import ast
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench._report import table, write_section
from generators.seeds import SeedSourceConfig, load_seeds
from generators.verify import CodeVerifier, MathVerifier, SandboxLimits, check_math
from generators.verify.response import last_code_block

_SWAP = {
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.Lt: ast.GtE,
    ast.GtE: ast.Lt,
    ast.Gt: ast.LtE,
    ast.LtE: ast.Gt,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.Add,
    ast.FloorDiv: ast.Mult,
    ast.Div: ast.Mult,
    ast.Mod: ast.FloorDiv,
    ast.And: ast.Or,
    ast.Or: ast.And,
}


def mutate(code: str) -> str | None:
    """A first-order mutant: the first comparison / arithmetic / boolean operator (else integer constant) of the
    code is changed (AST, so docstrings and comments are never the site). None when there is no site."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and type(node.ops[0]) in _SWAP:
            node.ops[0] = _SWAP[type(node.ops[0])]()
            return ast.unparse(tree)
        if isinstance(node, (ast.BinOp, ast.BoolOp)) and type(node.op) in _SWAP:
            node.op = _SWAP[type(node.op)]()
            return ast.unparse(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and type(node.value) is int:
            node.value += 1
            return ast.unparse(tree)
    return None


def math_pairs(data: str, n: int) -> list[tuple[str, str, bool]]:
    """n pairs: GSM8K and MATH train problems spread over each file (half each), their reference solution (label
    correct) and the same gold with its last digit changed, boxed (label wrong), grouped by gold."""
    from bench.quality.responses import _wrong

    pairs = []
    for name in ("gsm8k", "math"):
        seeds = load_seeds(SeedSourceConfig(name=name, data=data))[0]
        for s in seeds[:: max(1, len(seeds) // (n // 4))][: n // 4]:
            wrong = _wrong(s.ground_truth)
            pairs.append((s.ground_truth, s.reference_solution, True))
            if wrong:
                pairs.append((s.ground_truth, f"The final answer is $\\boxed{{{wrong}}}$.", False))
    return pairs


def plain_math(gold: str, response: str) -> bool:
    """Plain math-verify in-process (timeouts off, as off the main thread; the pairs here are small)."""
    from math_verify import parse, verify

    return bool(
        verify(
            parse(f"\\boxed{{{gold}}}", parsing_timeout=None),
            parse(response, parsing_timeout=None),
            timeout_seconds=None,
        )
    )


def naive_code(code: str, tests: list[str]) -> bool:
    setup = "\n".join(t for t in tests if t.startswith(("import ", "from ")))
    for t in tests:  # one subprocess per test
        if t.startswith(("import ", "from ")):
            continue
        try:
            r = subprocess.run(
                [sys.executable, "-c", f"{setup}\n{code}\n{t}"], capture_output=True, timeout=10, check=False
            )
        except subprocess.TimeoutExpired:
            return False
        if r.returncode != 0:
            return False
    return True


def rate(n: int, seconds: float) -> str:
    return f"{n / seconds:,.1f}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    from datamill.demo_data import shared_data

    data = "shared" if shared_data() is not None and not args.quick else "examples"
    n_math = 200 if args.quick else 1000
    code_limit, n_code_naive = (60, 40) if args.quick else (None, 100)

    # -- math ---------------------------------------------------------------------------------------------
    import logging

    from generators.verify.answers import canonical, parsed_gold

    logging.getLogger("math_verify").setLevel(logging.ERROR)
    pairs = math_pairs(data, n_math)
    plain_math("1", "$1$"), check_math("2", "$\\frac{4}{2}$")  # imports and first parse outside the timing
    t0 = time.process_time()  # CPU time of this process: one core's work, whatever else the machine runs
    plain_ok = [plain_math(g, r) for g, r, _ in pairs]
    t_plain = time.process_time() - t0
    canonical.cache_clear()
    parsed_gold.cache_clear()
    t0 = time.process_time()
    ours_ok = [check_math(g, r)[0] for g, r, _ in pairs]
    t_inproc = time.process_time() - t0
    plain_rate = len(pairs) / t_plain

    def math_row(name: str, cores: int, seconds: float, got: list[bool]) -> list:
        per_s = len(pairs) / seconds
        agree = sum(a == ok for a, (_, _, ok) in zip(got, pairs)) / len(pairs)
        return [
            name,
            cores,
            len(pairs),
            f"{per_s:,.1f}",
            f"{per_s / cores:,.1f}",
            f"{per_s / cores / plain_rate:.2f}×",
            f"{agree:.1%}",
        ]

    math_rows = [
        math_row("plain math-verify, in-process", 1, t_plain, plain_ok),
        math_row("ours: check_math, in-process", 1, t_inproc, ours_ok),
    ]
    for workers in (1, 2):
        canonical.cache_clear()
        parsed_gold.cache_clear()
        with MathVerifier(workers=workers, timeout_s=10) as mv:
            mv.warm_up()  # start every worker outside the timing (one-off ~1-2 s each)
            t0 = time.perf_counter()
            verdicts = mv.verify_many([(g, r) for g, r, _ in pairs])
            t_mv = time.perf_counter() - t0
        math_rows.append(
            math_row(
                f"ours: MathVerifier, {workers} worker process(es)",
                workers,
                t_mv,
                [v.passed for v in verdicts],
            )
        )

    # -- code ---------------------------------------------------------------------------------------------
    seeds = []
    for name in ("mbpp", "mbppplus", "humaneval"):
        got = load_seeds(SeedSourceConfig(name=name, data=data, limit=code_limit))[0]
        seeds += [(name, s) for s in got]
    cv = CodeVerifier(SandboxLimits(timeout_s=30, cpu_s=10), workers=2)
    t0 = time.perf_counter()
    canon = cv.verify_many([(s.reference_solution, s.tests) for _, s in seeds])
    t_code = time.perf_counter() - t0
    mutants = [(name, s, mutate(last_code_block(s.reference_solution) or "")) for name, s in seeds]
    no_site = sum(1 for _, _, m in mutants if not m)
    mutants = [(name, s, m) for name, s, m in mutants if m]
    mut = cv.verify_many([(m, s.tests) for _, s, m in mutants], extract=False)
    sub = seeds[:n_code_naive]
    t0 = time.perf_counter()
    with ThreadPoolExecutor(2) as ex:
        naive_ok = list(
            ex.map(lambda x: naive_code(last_code_block(x[1].reference_solution), x[1].tests), sub)
        )
    t_code_naive = time.perf_counter() - t0
    n_tests_naive = sum(len(s.tests) for _, s in sub)

    rows = [
        [
            "code programs (sandbox, 2 at a time)",
            len(seeds),
            rate(len(seeds), t_code),
            rate(len(sub), t_code_naive),
            f"{(len(seeds) / t_code) / (len(sub) / t_code_naive):.1f}×",
            (
                f"canonical pass: ours {sum(v.passed for v in canon[: len(sub)])}/{len(sub)}, "
                f"naive {sum(naive_ok)}/{len(sub)} ({n_tests_naive} subprocesses)"
            ),
        ],
    ]
    math_table = table(
        [
            "math verdicts",
            "cores",
            "N",
            "pairs /s",
            "pairs /s/core",
            "per core vs plain",
            "agreement with label",
        ],
        math_rows,
    )
    t1 = table(["check", "N", "ours /s", "naive /s", "ratio", "agreement with label (ours / naive)"], rows)
    per = []
    for name in ("mbpp", "mbppplus", "humaneval"):
        c = [v for (n, _), v in zip(seeds, canon) if n == name]
        m = [v for (n, _, _), v in zip(mutants, mut) if n == name]
        fails = [s.id for (n, s), v in zip(seeds, canon) if n == name and not v.passed]
        per.append(
            [
                name,
                len(c),
                f"{sum(v.passed for v in c) / max(1, len(c)):.1%}",
                len(m),
                f"{sum(not v.passed for v in m) / max(1, len(m)):.1%}",
                ", ".join(fails[:6]) or "-",
            ]
        )
    t2 = table(
        ["source", "canonical", "canonical pass", "mutants", "mutants rejected", "canonical failures"], per
    )
    note = (
        f"Data: {'../shared/data (full files)' if data == 'shared' else 'examples/data sample'}; "
        f"machine = 2-core CPU shared with other jobs. Math: {len(pairs)} pairs = GSM8K and MATH train reference "
        f"solutions (label correct) + the gold with a digit changed, boxed (label wrong), the same pairs for every row; in-process rows are per CPU-second of "
        f"this process, MathVerifier rows per wall-clock second; `per core vs plain` = "
        f"pairs/s per worker core over plain math-verify's pairs/s on one core (a MathVerifier's calling process "
        f"also decides string-equal and cut-off answers itself, without a worker, and is not counted as a core). Code: naive baseline timed on "
        f"the first {len(sub)} canonical programs. A mutant that survives is an operator change the tests do not "
        f"catch (equivalent mutant or weak tests), not a verifier error. {no_site} canonical solutions had no "
        f"mutation site."
    )
    print(math_table, "\n\n", t1, "\n\n", t2, "\n\n", note, sep="")
    if not args.quick:
        write_section("verify_bench", f"{math_table}\n\n{t1}\n\n{t2}\n\n{note}")


if __name__ == "__main__":
    main()
