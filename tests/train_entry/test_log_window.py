"""LogWindow: the console line's means over the steps since the previous line."""

from __future__ import annotations

import pytest

from train_entry.train import LogWindow, StepResult


def step(loss_sum: float, targets: int, grad_norm: float) -> StepResult:
    return StepResult(loss_sum=loss_sum, targets=targets, tokens=64, grad_norm=grad_norm, lr=1e-3)


def test_means_are_per_target_token_and_skip_steps_without_targets():
    w = LogWindow()
    for s in (step(30.0, 10, 2.0), step(0.0, 0, 9.0), step(10.0, 30, 4.0)):
        w.add(s)
    means = w.close()
    assert means["loss_window"] == pytest.approx(40.0 / 40)  # token-weighted, not the mean of 3.0 and 0.33
    assert means["grad_norm_window"] == pytest.approx(
        3.0
    )  # the step with no targets (norm 9.0) does not count


def test_close_starts_an_empty_window():
    w = LogWindow()
    w.add(step(5.0, 5, 1.0))
    w.close()
    assert w.close() == {"loss_window": None, "grad_norm_window": None}  # no targets since: no loss, not 0


def test_step_record_has_no_loss_without_targets():
    assert step(0.0, 0, 1.0).record(7, seconds=0.5) == {
        "step": 7,
        "loss": None,
        "lr": 1e-3,
        "grad_norm": 1.0,
        "target_tokens": 0,
        "tok_per_s": 128.0,
    }
