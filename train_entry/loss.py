"""Chunked cross-entropy: the LM head runs inside each chunk of target tokens, so full fp32 logits for a
102,400-token vocabulary never exist at once (32K tokens × 102,400 × 4 B would be 13 GB).

Only positions with a target are projected (assistant-only loss usually keeps a fraction of the tokens), each chunk
is recomputed in backward (activation checkpointing of the chunk), so peak memory is one chunk of logits.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch.utils.checkpoint import checkpoint

from train_entry.data import IGNORE


def _chunk_loss_sum(h_ND: torch.Tensor, weight_VD: torch.Tensor, t_N: torch.Tensor) -> torch.Tensor:
    logits = F.linear(h_ND, weight_VD)
    return F.cross_entropy(logits.float(), t_N, reduction="sum")


def chunked_cross_entropy(hidden_BLD: torch.Tensor, weight_VD: torch.Tensor, targets_BL: torch.Tensor,
                          chunk_tokens: int = 4096) -> torch.Tensor:
    """Sum (not mean) of token losses over positions whose target is not IGNORE."""
    keep = targets_BL.reshape(-1) != IGNORE
    h = hidden_BLD.reshape(-1, hidden_BLD.shape[-1])[keep]
    t = targets_BL.reshape(-1)[keep]
    total = hidden_BLD.new_zeros((), dtype=torch.float32)
    for s in range(0, t.numel(), chunk_tokens):
        h_c, t_c = h[s : s + chunk_tokens], t[s : s + chunk_tokens]
        if torch.is_grad_enabled():
            total = total + checkpoint(_chunk_loss_sum, h_c, weight_VD, t_c, use_reentrant=False)
        else:
            total = total + _chunk_loss_sum(h_c, weight_VD, t_c)
    return total
