"""Chunked cross-entropy equals the plain full-logits loss (value and gradients); the LR schedule's shape."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from train_entry.data import IGNORE
from train_entry.loss import chunk_loss_and_grad, chunked_cross_entropy
from train_entry.optim import lr_at


@pytest.mark.parametrize("chunk", [3, 7, 64, 10_000])
def test_chunked_ce_matches_full_logits(chunk):
    torch.manual_seed(0)
    h = torch.randn(2, 40, 16, requires_grad=True)
    w = torch.randn(500, 16, requires_grad=True)
    t = torch.randint(0, 500, (2, 40))
    t[0, :10] = IGNORE
    t[1, 30:] = IGNORE
    ours = chunked_cross_entropy(h, w, t, chunk_tokens=chunk)
    gh, gw = torch.autograd.grad(ours, (h, w))
    ref = F.cross_entropy((h @ w.T).reshape(-1, 500), t.reshape(-1), ignore_index=IGNORE, reduction="sum")
    rh, rw = torch.autograd.grad(ref, (h, w))
    torch.testing.assert_close(ours, ref)
    torch.testing.assert_close(gh, rh)
    torch.testing.assert_close(gw, rw)
    assert gh[0, :10].abs().sum() == 0  # ignored positions get no gradient


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_compiled_chunk_loss_and_grad_matches_eager(dtype):
    """The CUDA path runs `chunk_loss_and_grad` through torch.compile(dynamic=True); Inductor's CPU backend compiles
    the same graph, so its fusion (logsumexp, exp, one-hot subtract, cast) is checked here against eager and against
    autograd of F.cross_entropy, at two chunk sizes (a full chunk and the shorter last one) with one compile."""
    torch.manual_seed(0)
    compiled = torch.compile(chunk_loss_and_grad, dynamic=True)
    for n in (96, 37):
        logits = (torch.randn(n, 1000) * 4).to(dtype)
        t = torch.randint(0, 1000, (n,))
        loss, g = compiled(logits, t)
        e_loss, e_g = chunk_loss_and_grad(logits, t)
        assert g.dtype == dtype, "the gradient comes back in the logits' dtype for the matmuls"
        torch.testing.assert_close(loss, e_loss)
        torch.testing.assert_close(g, e_g)
        x = logits.float().requires_grad_()
        ref = F.cross_entropy(x, t, reduction="sum")
        torch.testing.assert_close(loss, ref.detach())
        torch.testing.assert_close(g.float(), torch.autograd.grad(ref, x)[0], **({} if dtype == torch.float32 else
                                   {"atol": 4e-3, "rtol": 1e-2}))  # fmt: skip


def test_no_targets_gives_zero_loss_and_zero_gradients():
    h = torch.randn(1, 5, 8, requires_grad=True)
    w = torch.randn(20, 8, requires_grad=True)
    loss = chunked_cross_entropy(h, w, torch.full((1, 5), IGNORE))
    gh, gw = torch.autograd.grad(loss, (h, w))
    assert loss.item() == 0.0 and gh.shape == h.shape and gw.shape == w.shape
    assert gh.abs().sum() == 0 and gw.abs().sum() == 0


def test_warmup_then_cosine():
    kw = {"lr": 1.0, "warmup_steps": 10, "max_steps": 110, "min_lr_ratio": 0.1}
    assert lr_at(0, **kw) == pytest.approx(0.1)
    assert lr_at(9, **kw) == pytest.approx(1.0)
    assert lr_at(60, **kw) == pytest.approx(0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * 0.5)))
    assert lr_at(110, **kw) == pytest.approx(0.1)
    assert all(lr_at(s, **kw) >= lr_at(s + 1, **kw) for s in range(10, 110))
