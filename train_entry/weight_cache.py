"""bf16 copies of the decoder layers' Linear weights, made once per optimizer step instead of once per micro-batch.

Under bf16 autocast over fp32 weights, every micro-batch casts each weight to bf16 (read 4 B, write 2 B per
parameter), and in backward casts each bf16 weight gradient to fp32 before adding it to `.grad` (another 6 B, then
12 B for the add). With `Bf16WeightCache`, the cast happens once per optimizer step, and a post-accumulate hook
adds each bf16 gradient straight into the fp32 `.grad` (10 B). The numbers do not change: the copy is the same
round-to-nearest cast autocast makes, and fp32(g) + acc is the same sum whichever way it is done
(`tests/train_entry/test_weight_cache.py` checks bit-equality of the loss and every gradient).

Only the decoder layers' Linear weights are cached. The embedding stays fp32, so the residual stream stays fp32.
The LM head stays fp32 too, because the fused cross-entropy would round its gradient to the weight's dtype.
Single process only: FSDP2 has its own mixed precision.

    cache = Bf16WeightCache(model)
    for each optimizer step:
        for each micro-batch:
            with cache, autocast:  # swaps the copies in for forward and backward
                loss = model(...)
            loss.backward()        # backward outside the `with` is fine: the graph holds the copies
        optimizer.step(); cache.refresh()
"""

from __future__ import annotations

import functools
from typing import Self

import torch
from torch import nn


class Bf16WeightCache:
    def __init__(self, model: nn.Module):
        self.slots = [m for layer in model.model.layers for m in layer.modules() if isinstance(m, nn.Linear)]
        self.masters = [m.weight for m in self.slots]
        self.refresh()

    def refresh(self) -> None:
        """New bf16 copies of the current fp32 weights: call after every optimizer step (and after loading)."""
        self.copies = [p.detach().to(torch.bfloat16).requires_grad_() for p in self.masters]
        for master, copy in zip(self.masters, self.copies, strict=True):
            copy.register_post_accumulate_grad_hook(functools.partial(_into_master, master))

    def __enter__(self) -> Self:
        for m, copy in zip(self.slots, self.copies, strict=True):
            m._parameters["weight"] = copy  # a plain tensor in the slot, as torch.func.functional_call swaps
        return self

    def __exit__(self, *exc) -> None:
        for m, master in zip(self.slots, self.masters, strict=True):
            m._parameters["weight"] = master


def _into_master(master: torch.Tensor, copy: torch.Tensor) -> None:
    """Add the copy's bf16 gradient into the master's fp32 `.grad`, as AccumulateGrad does after autocast's cast."""
    g = copy.grad
    copy.grad = None
    if master.grad is None:
        master.grad = g.to(master.dtype)
    else:
        master.grad.add_(g)
