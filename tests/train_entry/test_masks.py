"""The FlexAttention mask_mod and the SDPA dense mask are one rule; local layers touch O(L·window) blocks."""

from __future__ import annotations

import pytest
import torch

from train_entry.attention import dense_mask, make_mask_mod


def random_segments(B: int, L: int, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    seg = torch.zeros(B, L, dtype=torch.long)
    for b in range(B):
        pos, k = 0, 1
        while pos < L - 5:
            n = int(torch.randint(1, L // 2, (1,), generator=g))
            seg[b, pos : pos + n] = k
            pos, k = pos + n, k + 1  # the tail stays 0: padding
    return seg


@pytest.mark.parametrize("window", [None, 1, 7, 32, 500])
def test_mask_mod_equals_dense_mask_on_index_grid(window):
    seg = random_segments(3, 96, seed=window or 0)
    B, L = seg.shape
    b = torch.arange(B)[:, None, None, None]
    q = torch.arange(L)[None, None, :, None]
    kv = torch.arange(L)[None, None, None, :]
    grid = make_mask_mod(seg, window)(b, torch.zeros(1, 1, 1, 1, dtype=torch.long), q, kv)
    dense = dense_mask(seg, window)
    assert grid.shape == dense.shape == (B, 1, L, L)
    assert torch.equal(grid, dense)
    assert dense.diagonal(dim1=-2, dim2=-1).all()  # every query sees itself: no empty softmax rows


def test_dense_mask_rule_by_hand():
    seg = torch.tensor([[1, 1, 1, 2, 2, 0]])
    m = dense_mask(seg, window=2)[0, 0].int().tolist()
    assert m == [[1, 0, 0, 0, 0, 0],
                 [1, 1, 0, 0, 0, 0],
                 [0, 1, 1, 0, 0, 0],  # window 2: token 2 sees 1 and itself, not 0
                 [0, 0, 0, 1, 0, 0],  # new document
                 [0, 0, 0, 1, 1, 0],
                 [0, 0, 0, 0, 0, 1]]  # fmt: skip


def test_flex_create_mask_agrees_and_local_blocks_scale_with_window():
    from torch.nn.attention.flex_attention import create_block_mask, create_mask

    L, W = 2048, 128
    seg = torch.ones(1, L, dtype=torch.long)
    small = torch.tensor([[1] * 150 + [2] * 130 + [0] * 20])
    assert torch.equal(
        create_mask(make_mask_mod(small, 64), 1, 1, 300, 300, device="cpu"), dense_mask(small, 64)
    )
    local = create_block_mask(make_mask_mod(seg, W), 1, None, L, L, device="cpu")
    glob = create_block_mask(make_mask_mod(seg, None), 1, None, L, L, device="cpu")
    n_blocks = lambda bm: int(
        bm.kv_num_blocks.sum() + (bm.full_kv_num_blocks.sum() if bm.full_kv_num_blocks is not None else 0)
    )
    q_blocks = L // 128
    assert n_blocks(local) <= q_blocks * (
        W // 128 + 1
    )  # each query block touches ≤ window/128 + 1 key blocks
    assert n_blocks(glob) == q_blocks * (q_blocks + 1) // 2  # causal: O(L²)
    assert n_blocks(glob) > 4 * n_blocks(local)  # 136 vs 31 blocks at L=2048, window 128
