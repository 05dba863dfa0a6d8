import numpy as np

from datamill.mixing.budget import OTHER, allocate_cells, fill, repeat_plan


def test_fill_prefix_then_first_fit():
    idx = fill(np.array([50, 40, 30, 9, 5]), 100)
    assert idx.tolist() == [0, 1, 3]  # 50+40 fit, 30 does not, 9 fills the gap, 5 no longer fits (gap 1)
    # swap: prefix 60 leaves a gap of 40 that nothing fills; swapping 60 for 95 brings it to 5
    assert fill(np.array([60, 95, 70]), 100).tolist() == [1]
    assert fill(np.array([10]), 0).size == 0


def test_allocate_hard_ratio_uses_availability():
    # a: only reasoning data; b: both modes. Ratio 1.5 over 1000 tokens → 600 reasoning, 400 non-reasoning.
    caps = {
        ("a", "reasoning", None): 1000,
        ("b", "reasoning", None): 1000,
        ("b", "non_reasoning", None): 1000,
    }
    x = allocate_cells({"a": 500, "b": 500}, caps, ratio=1.5)
    r = x[("a", "reasoning", None)] + x[("b", "reasoning", None)]
    n = x[("b", "non_reasoning", None)]
    assert abs(r / n - 1.5) < 1e-6 and abs(r + n - 1000) < 1e-6


def test_allocate_hard_ratio_trims_when_one_mode_is_short():
    caps = {("a", "reasoning", None): 150, ("a", "non_reasoning", None): 1000}
    x = allocate_cells({"a": 1000}, caps, ratio=1.5)
    assert abs(x[("a", "reasoning", None)] - 150) < 1e-6 and abs(x[("a", "non_reasoning", None)] - 100) < 1e-6


def test_allocate_language_share():
    caps = {("a", None, "ko"): 500, ("a", None, OTHER): 5000}
    x = allocate_cells({"a": 1000}, caps, shares={"ko": 0.2})
    assert abs(x[("a", None, "ko")] - 200) < 1e-6 and abs(x[("a", None, OTHER)] - 800) < 1e-6


def test_repeat_plan_fractional_epochs():
    plan = repeat_plan(np.array([10, 10, 10, 10]), 1.5)
    assert [r for r, _ in plan] == [0, 1] and plan[0][1].size == 4 and plan[1][1].tolist() == [0, 1]
