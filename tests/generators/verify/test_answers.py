"""The answer-equivalence layer (generators.verify.answers): one pinned case per class, the issue's failures,
near misses that must stay unequal, and ours never weaker than plain math-verify on real GSM8K / MATH golds."""

import logging

import pytest

from generators.verify.answers import (
    answers_equal,
    canonical,
    contains_answer,
    extract_answer,
    fast_equal,
    normalise_text,
)
from generators.verify.exact_value import exact_value, values_differ

logging.getLogger("math_verify").setLevel(logging.ERROR)


def plain(gold: str, answer: str) -> bool:
    from math_verify import parse, verify

    return verify(
        parse(f"\\boxed{{{gold}}}", parsing_timeout=None),
        parse(answer, parsing_timeout=None),
        timeout_seconds=None,
    )


# (class, gold, answer text, equal?, how ours decides: normalised | exact | math_verify | reject reason)
CASES = [
    ("escaped_dollar", "\\$32,\\!348", "The answer is $\\boxed{32348}$.", True, "normalised"),
    ("escaped_dollar", "\\$32,\\!348", "$\\boxed{\\$32,\\!384}$", False, "wrong_answer"),
    ("thousands", "40,\\!320", "$\\boxed{40{,}320}$", True, "normalised"),
    ("thousands", "1 000", "$\\boxed{1000}$", True, "normalised"),
    ("complex", "6-5i", "6 - 5i", True, "normalised"),  # bare answer: plain math-verify reads 6
    ("complex", "6-5i", "$\\boxed{6}$", False, "wrong_answer"),
    ("complex", "6-5i", "$\\boxed{-5i+6}$", True, "math_verify"),
    ("complex", "3+4i", "$\\boxed{3+4\\mathrm{i}}$", True, "normalised"),
    ("complex", "3+4i", "$\\boxed{3+4}$", False, "wrong_answer"),
    ("tuple", "\\left( 3, \\frac{\\pi}{2} \\right)", "$\\boxed{(3,\\frac{\\pi}{2})}$", True, "normalised"),
    (
        "tuple",
        "\\left( 3, \\frac{\\pi}{2} \\right)",
        "$\\boxed{(\\frac{\\pi}{2}, 3)}$",
        False,
        "wrong_answer",
    ),
    ("tuple", "\\left( 3, \\frac{\\pi}{2} \\right)", "$\\boxed{3}$", False, "wrong_answer"),
    ("interval", "[-77,77]", "$\\boxed{\\left[ -77, 77 \\right]}$", True, "normalised"),
    ("interval", "[-77,77]", "$\\boxed{[-77, 77)}$", False, "wrong_answer"),
    ("units", "16\\text{ daps}", "$\\boxed{16}$", True, "normalised"),
    ("units", "5\\text{ cm}", "$\\boxed{6\\text{ cm}}$", False, "wrong_answer"),
    ("percent", "25\\%", "$\\boxed{25\\%}$", True, "normalised"),
    ("percent", "25\\%", "$\\boxed{0.25}$", True, "math_verify"),  # math-verify's reading of a percent
    ("percent", "25\\%", "$\\boxed{26\\%}$", False, "wrong_answer"),
    ("degrees", "120^\\circ", "$\\boxed{120^{\\circ}}$", True, "normalised"),
    ("degrees", "120^\\circ", "$\\boxed{210}$", False, "wrong_answer"),
    ("decimal", "\\frac{1}{2}", "$\\boxed{0.5}$", True, "exact"),
    ("decimal", "2.50", "$\\boxed{\\$2.5}$", True, "exact"),
    ("decimal", "\\frac{1}{3}", "$\\boxed{0.333}$", False, "wrong_answer"),
    ("power", "2^{10}", "$\\boxed{1024}$", True, "exact"),
    ("power", "\\frac{1}{2^{98}}", "$\\boxed{\\frac{1}{2^{99}}}$", False, "wrong_answer"),
    ("base", "1011_2", "$\\boxed{1011_3}$", False, "wrong_answer"),
    ("base", "1011_2", "$\\boxed{1011_{2}}$", True, "normalised"),
    ("choice", "\\text{(C)}", "The answer is (C).", True, "normalised"),
    ("choice", "\\text{(C)}", "$\\boxed{D}$", False, "wrong_answer"),
    ("spacing", "2 3", "$\\boxed{23}$", False, "wrong_answer"),
    ("assignment", "5", "$\\boxed{x = 5}$", True, "normalised"),
    ("assignment", "y=5", "$\\boxed{x = 5}$", False, "wrong_answer"),
    ("sympy", "\\frac{\\sqrt{3}}{2}", "$\\boxed{\\frac{1}{2}\\sqrt{3}}$", True, "math_verify"),
    ("set", "\\{1, 2\\}", "$\\boxed{\\{2, 1\\}}$", True, "math_verify"),
    (
        "matrix",
        "\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}",
        "$\\boxed{\\begin{pmatrix}1\\\\2\\end{pmatrix}}$",
        True,
        "normalised",
    ),
    (
        "matrix",
        "\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}",
        "$\\boxed{\\begin{pmatrix}1\\\\3\\end{pmatrix}}$",
        False,
        "wrong_answer",
    ),
    ("no_answer", "72", "I am not sure.", False, "no_final_answer"),
]


@pytest.mark.parametrize(
    "kind,gold,answer,equal,how", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_each_class_is_decided_the_right_way(kind, gold, answer, equal, how):
    eq = answers_equal(gold, answer)
    assert eq.equal is equal
    assert (eq.method if equal else eq.reason) == how


def test_plain_math_verify_false_positives_are_vetoed_by_exact_arithmetic():
    # math-verify compares in floating point and drops base subscripts: these pairs are its own false positives
    for gold, wrong in [
        ("\\frac{1}{2^{98}}", "\\frac{1}{2^{99}}"),
        ("1011_2", "1011_3"),
        ("0.56 = 56\\%", "0.56 = 57\\%"),
    ]:
        assert plain(gold, f"$\\boxed{{{wrong}}}$"), "plain math-verify accepts it (the reason for the veto)"
        eq = answers_equal(gold, f"$\\boxed{{{wrong}}}$")
        assert (eq.equal, eq.reason, eq.method) == (False, "wrong_answer", "exact")


def test_canonical_forms():
    assert canonical("\\$32,\\!348") == canonical("32348") == "32348"
    assert canonical("\\left[ -1, \\dfrac12 \\right)") == "[-1,\\frac{1}{2})"
    assert canonical("5\\ \\text{ cm}") == "5" and canonical("\\text{(B)}") == "B"
    assert canonical("30^{\\circ}") == canonical("30°") == "30"
    assert canonical("2 3") != canonical("23")  # digits apart stay apart
    assert canonical("3+4\\mathrm{i}") == "3+4i"  # the imaginary unit is not a unit to strip
    assert canonical("\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}") == "\\begin{pmatrix}1\\\\2\\end{pmatrix}"


def test_exact_values_and_undecided_forms():
    assert exact_value("-\\frac{3}{4}+1")[0] * 4 == 1
    assert exact_value("2^{4181}")[0] == 2**4181  # a real MATH gold
    assert exact_value("2\\frac{1}{2}") is None  # a mixed number or a product: not guessed
    assert exact_value("2^{100000}") is None  # bounded work
    assert exact_value("\\sqrt{2}") is None
    assert values_differ("0.333", "\\frac{1}{3}") and not values_differ("0.3333333", "\\frac{1}{3}")


def test_answer_is_read_from_the_final_part_only():
    assert extract_answer("so $\\boxed{5}$ and finally $\\boxed{7}$") == ("7", "boxed")
    assert extract_answer("Work...\nFinal answer: 12 apples") == ("12 apples", "anchor")
    assert extract_answer("La respuesta es 4.") == ("4.", "anchor")
    assert extract_answer("6-5i") == ("6-5i", "bare")
    assert extract_answer("a long paragraph without any stated answer at all, only words") == (None, "")
    assert fast_equal("12", "12 apples") is None  # words after a number are not a unit we strip


def test_text_answers_for_niah_and_knowledge():
    from generators.long_context.niah import ruler_score

    assert normalise_text("  The  Number is １,２３４,５６７. ") == "the number is 1234567."
    assert contains_answer("The magic number is 1,234,567.", "1234567")
    assert not contains_answer("The magic number is 1,234,568.", "1234567")
    assert ruler_score("Values: ７６５４３２１ and APPLE", ["7654321", "apple", "pear"]) == pytest.approx(
        2 / 3
    )


def test_never_weaker_than_plain_math_verify_on_real_golds(examples):
    """On GSM8K / MATH train golds (embedded sample) and the bench's keep/break rewrites: wherever plain
    math-verify gives the right verdict, ours gives it too, and ours is right on every pair."""
    from bench.quality.math import break_rewrites, golds, keep_rewrites

    gs = golds(examples / "math")
    sample = gs["GSM8K train"][:15] + gs["MATH train"][:60]
    pairs = [(g, a, True) for g in sample for _, a in keep_rewrites(g)]
    pairs += [(g, a, False) for g in sample for _, a in break_rewrites(g)]
    assert len(pairs) > 400
    wrong = [(g, a) for g, a, y in pairs if answers_equal(g, a).equal is not y]
    assert wrong == []
    plain_right_ours_wrong = [
        (g, a) for g, a, y in pairs if plain(g, a) is y and answers_equal(g, a).equal is not y
    ]
    assert plain_right_ours_wrong == []
