"""CUDA-only checks (skipped without a GPU): the FlexAttention path against SDPA in forward and backward, and one
bf16 training step with activation checkpointing."""

from __future__ import annotations

import pytest
import torch

from train_entry.model import HybridLM, ModelConfig

pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")]


def cfg(**kw) -> ModelConfig:
    return ModelConfig(vocab_size=512, hidden_size=128, intermediate_size=256, num_layers=4, num_heads=4,
                       num_kv_heads=2, head_dim=32, layer_pattern="LLLG", sliding_window=200, **kw)  # fmt: skip


def test_flex_matches_sdpa_forward_and_backward_on_cuda():
    torch.manual_seed(0)
    sdpa = HybridLM(cfg(attn_impl="sdpa")).cuda()
    flex = HybridLM(cfg(attn_impl="flex")).cuda()
    flex.load_state_dict(sdpa.state_dict())
    ids = torch.randint(0, 512, (2, 1024), device="cuda")
    seg = torch.ones_like(ids)
    seg[0, 600:] = 2
    seg[1, 1000:] = 0
    tgt = torch.roll(ids, -1, 1)
    losses = [m(ids, seg, targets_BL=tgt) for m in (sdpa, flex)]
    for loss in losses:
        loss.backward()
    torch.testing.assert_close(losses[1], losses[0], rtol=1e-4, atol=1e-3)
    for (name, a), b in zip(sdpa.named_parameters(), flex.parameters()):
        torch.testing.assert_close(b.grad, a.grad, rtol=1e-3, atol=1e-4, msg=name)


def test_bf16_step_with_activation_checkpointing():
    from train_entry.distributed import apply_activation_checkpointing
    from train_entry.optim import build_optimizer

    torch.manual_seed(0)
    model = HybridLM(cfg()).cuda()
    apply_activation_checkpointing(model)
    opt = build_optimizer(model, lr=1e-3, weight_decay=0.1, betas=(0.9, 0.95))
    ids = torch.randint(0, 512, (1, 2048), device="cuda")
    first = None
    for _ in range(5):
        with torch.autocast("cuda", torch.bfloat16):
            loss = model(ids, targets_BL=torch.roll(ids, -1, 1)) / ids.numel()
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        first = first if first is not None else loss.item()
    assert torch.isfinite(loss) and loss.item() < first


def test_compiled_checkpointed_layers_match_eager_sdpa():
    """The benchmark's and trainer's fast path (torch.compile per layer + activation checkpointing + FlexAttention
    with packed documents) gives the loss and gradients of the plain SDPA model, at two lengths (the second one
    recompiles with dynamic shapes)."""
    from train_entry.distributed import apply_activation_checkpointing, apply_compile

    torch.manual_seed(0)
    ref = HybridLM(cfg(attn_impl="sdpa")).cuda()
    fast = HybridLM(cfg(attn_impl="flex")).cuda()
    fast.load_state_dict(ref.state_dict())
    apply_activation_checkpointing(fast)
    apply_compile(fast)
    for L in (1024, 1536):
        ids = torch.randint(0, 512, (1, L), device="cuda")
        seg = torch.ones_like(ids)
        seg[0, L // 3 :] = 2  # two documents: attention must not cross the boundary
        tgt = torch.roll(ids, -1, 1)
        losses = []
        for m in (ref, fast):
            m.zero_grad(set_to_none=True)
            losses.append(m(ids, seg, targets_BL=tgt))
            losses[-1].backward()
        torch.testing.assert_close(losses[1], losses[0], rtol=1e-4, atol=1e-3, msg=f"loss at L={L}")
        for (name, a), b in zip(ref.named_parameters(), fast.parameters()):
            torch.testing.assert_close(b.grad, a.grad, rtol=1e-3, atol=1e-4, msg=f"{name} at L={L}")
