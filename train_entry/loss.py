"""Fused linear + cross-entropy in chunks: the LM head runs inside each chunk of target tokens, so full fp32 logits
for a 102,400-token vocabulary never exist at once (32K tokens × 102,400 × 4 B would be 13 GB).

Only positions with a target are projected (assistant-only loss keeps a fraction of the tokens). In training, each
chunk's gradient (softmax − one-hot) is turned into d(hidden) and d(weight) right away in the forward pass, as
Liger-Kernel's fused linear cross-entropy does, so backward recomputes nothing and peak memory is one chunk of
logits plus one weight-sized fp32 gradient buffer.
"""

from __future__ import annotations

import functools

import torch

from train_entry.data import IGNORE


def _chunk_logits(h_ND: torch.Tensor, w_VD: torch.Tensor) -> torch.Tensor:
    return (h_ND @ w_VD.T).float()


def chunk_loss_and_grad(logits_NV: torch.Tensor, t_N: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Summed cross-entropy of one chunk and its gradient w.r.t. the logits (softmax − one-hot), in fp32 math; the
    gradient comes back in the logits' dtype (bf16 under autocast, ready for the two matmuls)."""
    x = logits_NV.float()
    lse = torch.logsumexp(x, dim=-1)
    loss = (lse - x.gather(1, t_N[:, None]).squeeze(1)).sum()
    g = torch.exp(x - lse[:, None])
    g[torch.arange(t_N.numel(), device=t_N.device), t_N] -= 1.0
    return loss, g.to(logits_NV.dtype)


@functools.cache
def _loss_and_grad(device_type: str):
    """On CUDA, one compiled kernel pair instead of ~8 eager passes over the fp32 chunk of logits: measured on an
    H200 (bench/RESULTS.md train_bench profile), those passes took ~67 ms of a 937 ms step at 4K."""
    if device_type == "cuda":
        return torch.compile(chunk_loss_and_grad, dynamic=True)
    return chunk_loss_and_grad


class _FusedLinearCE(torch.autograd.Function):
    @staticmethod
    def forward(ctx, h_ND, w_VD, t_N, chunk: int):
        loss = torch.zeros((), dtype=torch.float32, device=h_ND.device)
        grad_h = torch.empty_like(h_ND)
        grad_w = None  # the first chunk's product is the buffer: no zero-filled pass over a weight-sized fp32 tensor
        loss_and_grad = _loss_and_grad(h_ND.device.type)
        for s in range(0, t_N.numel(), chunk):
            h, t = h_ND[s : s + chunk], t_N[s : s + chunk]
            chunk_loss, g = loss_and_grad(h @ w_VD.T, t)  # logits in the matmul's dtype (bf16 under autocast)
            loss += chunk_loss
            grad_h[s : s + chunk] = g @ w_VD.to(g.dtype)
            gw = (g.T @ h.to(g.dtype)).float()
            grad_w = gw if grad_w is None else grad_w.add_(gw)
        if grad_w is None:  # no target in this batch
            grad_w = torch.zeros(w_VD.shape, dtype=torch.float32, device=w_VD.device)
        ctx.save_for_backward(grad_h, grad_w)
        ctx.w_dtype = w_VD.dtype
        return loss

    @staticmethod
    def backward(ctx, grad_out):
        grad_h, grad_w = ctx.saved_tensors
        return grad_h * grad_out.to(grad_h.dtype), (grad_w * grad_out).to(ctx.w_dtype), None, None


def chunked_cross_entropy(
    hidden_BLD: torch.Tensor, weight_VD: torch.Tensor, targets_BL: torch.Tensor, chunk_tokens: int = 4096
) -> torch.Tensor:
    """Sum (not mean) of token losses over positions whose target is not IGNORE."""
    keep = targets_BL.reshape(-1) != IGNORE
    h = hidden_BLD.reshape(-1, hidden_BLD.shape[-1])[keep]
    t = targets_BL.reshape(-1)[keep]
    if torch.is_grad_enabled() and (h.requires_grad or weight_VD.requires_grad):
        return _FusedLinearCE.apply(h, weight_VD, t, chunk_tokens)
    total = hidden_BLD.new_zeros((), dtype=torch.float32)
    for s in range(0, t.numel(), chunk_tokens):
        logits = _chunk_logits(h[s : s + chunk_tokens], weight_VD)
        total = total + torch.nn.functional.cross_entropy(logits, t[s : s + chunk_tokens], reduction="sum")
    return total
