"""verify_bench: math verdicts/s and sandboxed code programs/s on 2 cores, each vs a naive baseline measured in
the same run; MBPP / MBPP+ / HumanEval canonical solutions must pass (≥ 99 %) and mutated ones be rejected.

    .venv/bin/python bench/verify_bench.py            # full (../shared/data when present), ~2-3 min
    .venv/bin/python bench/verify_bench.py --quick    # small N, ~40 s

Baselines: math — a fresh `python -c` per verdict (the simple way to bound math-verify's time off the main
thread); code — one plain subprocess per test assertion (no sandbox), 2 at a time, like a naive checker.
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
from generators.verify import CodeVerifier, MathVerifier, SandboxLimits
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
    seeds = (
        load_seeds(SeedSourceConfig(name="gsm8k", data=data))[0]
        + load_seeds(SeedSourceConfig(name="math", data=data))[0]
    )
    seeds = seeds[: n // 2]
    good = [(s.ground_truth, s.reference_solution, True) for s in seeds]
    bad = [(s.ground_truth, f"The final answer is $\\boxed{{{s.ground_truth}+1}}$.", False) for s in seeds]
    return good + bad


def naive_math(gold: str, response: str) -> bool:
    prog = (
        "import sys\nfrom math_verify import parse, verify\nfrom generators.verify.math_verifier import _as_latex\n"
        "print(verify(parse(_as_latex(sys.argv[1])), parse(sys.argv[2])))"
    )
    out = subprocess.run(
        [sys.executable, "-c", prog, gold, response],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
        check=False,
    )
    return out.stdout.strip().endswith("True")


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
    n_math, n_math_naive = (200, 6) if args.quick else (1000, 10)
    code_limit, n_code_naive = (60, 40) if args.quick else (None, 100)

    # -- math ---------------------------------------------------------------------------------------------
    pairs = math_pairs(data, n_math)
    with MathVerifier(workers=2, timeout_s=10) as mv:
        mv.verify("1", "$1$")  # start the workers outside the timing (one-off ~1 s)
        t0 = time.perf_counter()
        verdicts = mv.verify_many([(g, r) for g, r, _ in pairs])
        t_math = time.perf_counter() - t0
    math_agree = sum(v.passed == ok for v, (_, _, ok) in zip(verdicts, pairs)) / len(pairs)
    msub = pairs[: n_math_naive // 2] + pairs[len(pairs) // 2 : len(pairs) // 2 + n_math_naive // 2]
    t0 = time.perf_counter()
    with ThreadPoolExecutor(2) as ex:
        naive_ok = list(ex.map(lambda p: naive_math(p[0], p[1]), msub))
    t_math_naive = time.perf_counter() - t0
    naive_agree = sum(a == ok for a, (_, _, ok) in zip(naive_ok, msub)) / len(msub)

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
            "math verdicts (math-verify, 2 worker procs)",
            len(pairs),
            rate(len(pairs), t_math),
            rate(len(msub), t_math_naive),
            f"{(len(pairs) / t_math) / (len(msub) / t_math_naive):.1f}×",
            f"{math_agree:.1%} / {naive_agree:.1%}",
        ],
        [
            "code programs (sandbox, 2 at a time)",
            len(seeds),
            rate(len(seeds), t_code),
            rate(len(sub), t_code_naive),
            f"{(len(seeds) / t_code) / (len(sub) / t_code_naive):.1f}×",
            (f"canonical pass: ours {sum(v.passed for v in canon[: len(sub)])}/{len(sub)}, "
             f"naive {sum(naive_ok)}/{len(sub)} ({n_tests_naive} subprocesses)"),
        ],
    ]
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
        f"machine = 2-core CPU. Math: {len(pairs)} pairs = reference solutions (label correct) + a wrong boxed "
        f"answer (label wrong); naive baseline timed on {n_math_naive} of them. Code: naive baseline timed on "
        f"the first {len(sub)} canonical programs. A mutant that survives is an operator change the tests do "
        f"not catch (equivalent mutant or weak tests), not a verifier error. {no_site} canonical solutions had "
        f"no mutation site."
    )
    print(t1, "\n\n", t2, "\n\n", note, sep="")
    write_section("verify_bench", f"{t1}\n\n{t2}\n\n{note}")


if __name__ == "__main__":
    main()
