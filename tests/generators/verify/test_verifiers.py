"""Canned model outputs on real problems: correct, wrong, malformed, unparseable → verdict + reason."""

import pytest

from generators.seeds import SeedSourceConfig, load_seeds
from generators.verify import CodeVerifier, LogicVerifier, MathVerifier, SandboxLimits


@pytest.fixture(scope="module")
def gsm8k():
    return load_seeds(SeedSourceConfig(name="gsm8k", limit=3))[0]


@pytest.fixture(scope="module")
def math_seeds():
    return load_seeds(SeedSourceConfig(name="math", limit=3))[0]


@pytest.fixture(scope="module")
def mv():
    with MathVerifier(workers=1, timeout_s=20) as v:
        yield v


def test_math_correct_wrong_malformed_unparseable(gsm8k, mv):
    p = gsm8k[0]  # Natalia: 72
    gold = p.ground_truth
    cases = [
        (f"<think>\n48/2 = 24, 48 + 24 = 72\n</think>\n\nThe answer is $\\boxed{{{gold}}}$.", True, ""),
        (
            f"<think>\n48 + 48 = 96\n</think>\n\nThe answer is $\\boxed{{{int(gold) + 24}}}$.",
            False,
            "wrong_answer",
        ),
        (
            "<think>\nI am not sure what to do here\n</think>\n\nI cannot solve this.",
            False,
            "no_final_answer",
        ),
        (
            "<think>\nthe answer is $\\boxed{72}$\n</think>\n\nSee above.",
            False,
            "no_final_answer",
        ),  # only in the trace
        (
            "<think>\n48/2 = 24, so the answer is $\\boxed{72}$ and",
            False,
            "no_final_answer",
        ),  # cut off mid-thought
    ]
    verdicts = mv.verify_many([(gold, text) for text, _, _ in cases])
    assert [(v.passed, v.reason) for v in verdicts] == [(ok, why) for _, ok, why in cases]


def test_math_latex_answers_on_real_math_problems(math_seeds, mv):
    for p in math_seeds:
        v = mv.verify(p.ground_truth, p.reference_solution)
        assert (v.passed, v.reason) == (True, ""), p.id
    assert (
        mv.verify(math_seeds[0].ground_truth, "So the result is $\\boxed{\\frac{7}{3}}$.").reason
        == "wrong_answer"
    )


def test_math_gold_unparseable(mv):
    assert mv.verify("", "The answer is $\\boxed{3}$").reason == "gold_unparseable"


def test_math_timeout_kills_worker_and_recovers(gsm8k):
    v = MathVerifier(workers=1, timeout_s=0.001)  # far below a sympy check's cost: the worker is killed
    pair = ("\\frac{\\sqrt{3}}{2}", "$\\boxed{\\frac{1}{2}\\sqrt{3}}$")  # not equal as strings: needs sympy
    assert v.verify(*pair).reason == "timeout"
    assert v.verify("72", "$\\boxed{72}$").passed  # decided by strings in this process: no worker, no timeout
    v.timeout_s = 30
    assert v.verify(*pair).passed
    v.close()


@pytest.fixture(scope="module")
def mbpp():
    return load_seeds(SeedSourceConfig(name="mbpp", limit=4))[0]


def test_code_reference_passes_and_mutant_fails(mbpp):
    cv = CodeVerifier(SandboxLimits(timeout_s=10))
    refs = cv.verify_many([(p.reference_solution, p.tests) for p in mbpp])
    assert [(v.passed, v.reason) for v in refs] == [(True, "")] * len(mbpp)
    p = mbpp[0]  # similar_elements: set intersection → mutate to union
    mutant = p.reference_solution.replace("&", "|")
    assert mutant != p.reference_solution
    assert cv.verify(mutant, p.tests).reason == "tests_failed"


def test_code_malformed_responses(mbpp):
    cv = CodeVerifier()
    p = mbpp[0]
    assert cv.verify("The function is similar_elements; I would use sets.", p.tests).reason == "no_code_block"
    assert (
        cv.verify("```python\ndef similar_elements(a, b)\n    return a\n```", p.tests).reason
        == "syntax_error"
    )
    assert cv.verify("```python\ndef other(a, b):\n    return a\n```", p.tests).reason == "runtime_error"
    body = p.reference_solution.strip("`").removeprefix("python\n")
    thought = f"<think>\n```python\nprint('draft')\n```\n</think>\n\nFinal:\n```python\n{body}\n```"
    assert cv.verify(thought, p.tests).passed  # the final block after </think> is what runs


def test_humaneval_canonical_passes():
    he = load_seeds(SeedSourceConfig(name="humaneval", limit=3))[0]
    assert [CodeVerifier().verify(p.reference_solution, p.tests).passed for p in he] == [True] * 3


def test_logic_verifier_on_reasoning_gym():
    seeds = load_seeds(
        SeedSourceConfig(name="reasoning_gym", tasks=["knights_knaves", "syllogism"], limit=2)
    )[0]
    lv = LogicVerifier()
    for p in seeds:
        m = p.metadata
        args = (m["task"], m["rg_seed"], m["rg_size"], m["rg_index"])
        assert lv.verify(f"<think>...</think>\n{p.reference_solution}", *args).passed, p.id
        assert lv.verify("<answer>purple elephant</answer>", *args).reason == "wrong_answer"
        assert lv.verify(f"I think {p.ground_truth}", *args).reason == "no_answer"


def test_split_thought_final_part_only_after_a_closed_thought():
    from generators.verify.response import final_part, split_thought

    assert split_thought("<think>\nplan\n</think>\n\nAnswer: 3") == ("\nplan\n", "\n\nAnswer: 3")
    assert split_thought("plan (template prefilled <think>)</think>\nAnswer: 3")[1] == "\nAnswer: 3"
    assert split_thought("<think>\nstill thinking, $\\boxed{3}$") == ("\nstill thinking, $\\boxed{3}$", None)
    assert split_thought("<thought>EXAONE Deep</thought>42")[1] == "42"
    assert split_thought("<think>a</think>b<think>c")[1] is None  # a second thought never closed: cut off
    assert split_thought("no thought at all") == ("", "no thought at all")
    assert final_part("<think>cut off") == ""


def test_math_verdict_rejects_responses_without_a_final_answer(gsm8k):
    gold = gsm8k[0].ground_truth
    complete = f"<think>\n48/2 = 24\n</think>\n\nThe answer is $\\boxed{{{gold}}}$."
    v = MathVerifier(workers=1, timeout_s=20)
    verdicts = v.verify_many(
        [
            (gold, complete, "stop"),
            (gold, complete + " Let me double-check this by", "length"),  # the engine stopped it: not final
            (gold, f"<thought>\nso it is $\\boxed{{{gold}}}$\n</thought>\n\n", "stop"),
            (gold, f"<think>\nso it is $\\boxed{{{gold}}}$", None),
        ]
    )
    assert [(x.passed, x.reason) for x in verdicts] == [(True, "")] + [(False, "no_final_answer")] * 3
    assert verdicts[1].details["finish_reason"] == "length"
    assert verdicts[0].details["method"] == "normalised"
    assert v._pool is None  # every verdict above was decided by strings in this process: no worker started
    v.close()


def test_warm_up_starts_every_worker():
    with MathVerifier(workers=2, timeout_s=30) as v:
        v.warm_up()
        assert (
            len(v._pool._processes) == 2
        )  # both workers exist (and imported math-verify) before any verdict
        assert (
            v.verify("\\frac{\\sqrt{3}}{2}", "$\\boxed{\\frac{1}{2}\\sqrt{3}}$").details["method"]
            == "math_verify"
        )


def test_a_chunk_that_times_out_is_retried_pair_by_pair():
    pairs = [
        ("\\frac{\\sqrt{3}}{2}", "$\\boxed{\\frac{1}{2}\\sqrt{3}}$"),
        ("\\sqrt{8}", "$\\boxed{2\\sqrt{2}}$"),
        ("72", "$\\boxed{72}$"),
    ]  # the last one is decided in this process: never sent, never timed out
    v = MathVerifier(workers=1, timeout_s=0.001, chunk=8)
    assert [x.reason for x in v.verify_many(pairs)] == ["timeout", "timeout", ""]
    v.timeout_s = 30
    assert [x.passed for x in v.verify_many(pairs)] == [True, True, True]
    v.close()
