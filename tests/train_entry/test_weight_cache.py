"""Bf16WeightCache changes where the bf16 casts happen, not the numbers: under the same bf16 autocast, the loss and
every fp32 gradient equal the plain autocast path bit for bit, over micro-batches and optimizer steps, eager and
with compiled, checkpointed layers (which must not recompile when the copies are renewed)."""

from __future__ import annotations

import pytest
import torch

from train_entry.model import HybridLM, ModelConfig
from train_entry.optim import build_optimizer
from train_entry.weight_cache import Bf16WeightCache


def tiny() -> ModelConfig:
    return ModelConfig(vocab_size=300, hidden_size=64, intermediate_size=128, num_layers=4, num_heads=4,
                       num_kv_heads=2, head_dim=16, layer_pattern="LLLG", sliding_window=12, rope_theta=10_000.0)  # fmt: skip


def batches(n: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    g = torch.Generator().manual_seed(1)
    out = []
    for _ in range(n):
        ids = torch.randint(0, 300, (2, 32), generator=g)
        seg = torch.ones_like(ids)
        seg[0, 20:] = 2
        out.append((ids, seg))
    return out


def run(model: HybridLM, cache: Bf16WeightCache | None, steps: int = 2, micro: int = 3):
    """Losses, every gradient after each step's accumulation, the weights at the end, and the number of compiled
    graphs after each step."""
    from torch._dynamo.utils import counters

    opt = build_optimizer(model, lr=1e-2, weight_decay=0.1, betas=(0.9, 0.95))
    graphs = []
    amp = torch.autocast("cpu", torch.bfloat16)
    losses, grads = [], []
    data = batches(steps * micro)
    for s in range(steps):
        for ids, seg in data[s * micro : (s + 1) * micro]:
            with cache or torch.enable_grad(), amp:
                loss = model(ids, seg, targets_BL=torch.roll(ids, -1, 1)) / ids.numel()
            loss.backward()
            losses.append(loss.detach())
        grads.append([(n, p.grad.clone()) for n, p in model.named_parameters()])
        opt.step()
        opt.zero_grad(set_to_none=True)
        if cache:
            cache.refresh()
        graphs.append(counters["stats"]["unique_graphs"])
    return losses, grads, [p.detach().clone() for p in model.parameters()], graphs


class CountingCache(Bf16WeightCache):
    """Counts the gradients that really arrived through the bf16 copies (else the equality below proves nothing)."""

    def refresh(self) -> None:
        super().refresh()
        for copy in self.copies:
            copy.register_post_accumulate_grad_hook(self._count)

    def _count(self, _copy) -> None:
        self.arrived = getattr(self, "arrived", 0) + 1


def twins(compiled: bool):
    from train_entry.distributed import apply_activation_checkpointing, apply_compile

    torch.manual_seed(0)
    plain = HybridLM(tiny())
    cached = HybridLM(tiny())
    cached.load_state_dict(plain.state_dict())
    if compiled:
        for m in (plain, cached):
            apply_activation_checkpointing(m)
            apply_compile(m)
    return plain, cached


@pytest.mark.parametrize("compiled", [False, True], ids=["eager", "compiled+checkpointed"])
def test_cache_gives_the_autocast_numbers_bit_for_bit(compiled):
    torch._dynamo.reset()
    plain, cached = twins(compiled)
    want = run(plain, None)
    cache = CountingCache(cached)
    assert len(cache.masters) == 4 * 7, "every decoder-layer Linear (q, k, v, o, gate, up, down) is cached"
    got = run(cached, cache)
    assert cache.arrived == 4 * 7 * 3 * 2, (
        "not every gradient went through the copies (28 weights × 6 micro-batches)"
    )
    if compiled:
        assert got[3][0] > want[3][-1], "the cached run did not go through the compiled layers"
    assert got[3][1] == got[3][0], f"renewing the copies after step 1 recompiled a layer: graphs {got[3]}"
    for i, (a, b) in enumerate(zip(want[0], got[0], strict=True)):
        assert torch.equal(a, b), f"micro-batch {i}: loss {b.item()} vs {a.item()}"
    for s, (step_want, step_got) in enumerate(zip(want[1], got[1], strict=True)):
        for (name, a), (_, b) in zip(step_want, step_got, strict=True):
            assert torch.equal(a, b), f"step {s}: {name} gradient differs by {(a - b).abs().max().item():.3g}"
    for a, b in zip(want[2], got[2], strict=True):
        assert torch.equal(a, b), "the weights after two optimizer steps differ"
    assert all(p.dtype == torch.float32 for p in cached.parameters()), "the model's own parameters stay fp32"
