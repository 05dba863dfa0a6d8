"""The varlen attention path (torch's Flash varlen kernel, CUDA-only) checked on CPU: the plumbing around the kernel
(document starts, layouts, Flash's window convention, GQA by repeat or natively) runs with a reference kernel that
implements Flash's documented semantics, against the SDPA path in loss and every gradient. tests/train_entry/
test_gpu.py checks the real kernel against SDPA on CUDA."""

from __future__ import annotations

from itertools import pairwise

import pytest
import torch
import torch.nn.functional as F

import train_entry.model as M
from train_entry.model import HybridLM, ModelConfig, VarlenMask, varlen_documents


def tiny(**kw) -> ModelConfig:
    return ModelConfig(vocab_size=300, hidden_size=64, intermediate_size=128, num_layers=4, num_heads=4,
                       num_kv_heads=2, head_dim=16, layer_pattern="LLLG", sliding_window=12, rope_theta=10_000.0,
                       **kw)  # fmt: skip


def flash_varlen_reference(q_THd, k_THd, v_THd, mask: VarlenMask, scale: float) -> torch.Tensor:
    """Flash's varlen rule, written out: documents [cu[n], cu[n+1]) attend only inside themselves; query i keeps key j
    when i − left ≤ j ≤ i + right (−1 = unbounded), positions counted inside the document."""
    left, right = mask.window
    if q_THd.shape[1] != k_THd.shape[1]:
        assert mask.native_gqa, "fewer key/value heads reached a kernel that was told to expect repeated ones"
    out = torch.empty_like(q_THd)
    cu = mask.cu_seqlens.tolist()
    assert cu[-1] == q_THd.shape[0] and max(b - a for a, b in pairwise(cu)) <= mask.max_len
    for a, b in pairwise(cu):
        i = torch.arange(b - a)[:, None]
        j = torch.arange(b - a)[None, :]
        keep = (j <= i + right if right >= 0 else True) & (j >= i - left if left >= 0 else True)
        q, k, v = (t[a:b].transpose(0, 1) for t in (q_THd, k_THd, v_THd))
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=keep, scale=scale, enable_gqa=q.shape[0] != k.shape[0])
        out[a:b] = y.transpose(0, 1)
    return out


def test_document_starts_cover_rows_segments_and_padding():
    seg = torch.tensor([[1, 1, 2, 2, 2, 0], [3, 3, 3, 3, 3, 3], [4, 0, 0, 5, 5, 5]])
    # row starts (0, 6, 12), the 1→2 and 2→0 changes in row 0, and 4→0, 0→5 in row 2
    assert varlen_documents(seg).tolist() == [0, 2, 5, 6, 12, 13, 15, 18]
    assert varlen_documents(seg).dtype == torch.int32


@pytest.mark.parametrize("native_gqa", [True, False])
def test_varlen_path_matches_sdpa_in_loss_and_gradients(monkeypatch, native_gqa):
    monkeypatch.setattr(M, "_flash_varlen", _checked(flash_varlen_reference))
    monkeypatch.setattr(M, "_varlen_native_gqa", lambda: native_gqa)
    torch.manual_seed(0)
    ref = HybridLM(tiny(attn_impl="sdpa"))
    var = HybridLM(tiny(attn_impl="varlen"))
    var.load_state_dict(ref.state_dict())
    ids = torch.randint(0, 300, (2, 48))
    seg = torch.tensor([[1] * 30 + [2] * 14 + [0] * 4, [3] * 48])  # documents longer than the window (12)
    tgt = torch.roll(ids, -1, 1)
    losses = []
    for m in (ref, var):
        losses.append(m(ids, seg, targets_BL=tgt) / tgt.numel())  # mean: gradients of order 1
        losses[-1].backward()
    torch.testing.assert_close(losses[1], losses[0], rtol=1e-5, atol=1e-5)
    for (name, a), b in zip(ref.named_parameters(), var.parameters()):
        torch.testing.assert_close(b.grad, a.grad, rtol=1e-4, atol=1e-6, msg=name)
    assert _checked.windows == {(11, 0), (-1, 0)}, "local layers get (window − 1, 0), the global layer (−1, 0)"


def test_a_wrong_window_convention_would_be_caught(monkeypatch):
    """The parity above is not vacuous: the same kernel told `window` instead of `window − 1` gives another loss."""
    shifted = lambda q, k, v, m, s: flash_varlen_reference(q, k, v, VarlenMask(
        m.cu_seqlens, m.max_len, (m.window[0] + 1 if m.window[0] >= 0 else -1, 0), m.native_gqa), s)  # fmt: skip
    monkeypatch.setattr(M, "_flash_varlen", shifted)
    torch.manual_seed(0)
    ref = HybridLM(tiny(attn_impl="sdpa"))
    var = HybridLM(tiny(attn_impl="varlen"))
    var.load_state_dict(ref.state_dict())
    ids = torch.randint(0, 300, (1, 40))
    with torch.no_grad():
        assert not torch.allclose(var(ids), ref(ids), atol=1e-4)


def test_varlen_without_a_window_capable_torch_says_what_to_use(monkeypatch):
    import inspect

    M._varlen_native_gqa.cache_clear()  # it checks the installed torch once; make it look again
    from torch.nn.attention import varlen

    monkeypatch.setattr(varlen, "varlen_attn", lambda query, key, value, cu_seq_q, cu_seq_k, max_q, max_k: None)
    assert "window_size" not in inspect.signature(varlen.varlen_attn).parameters
    try:
        with pytest.raises(RuntimeError, match=r"torch >= 2\.10.*use attn_impl='flex'"):
            HybridLM(tiny(attn_impl="varlen"))(torch.randint(0, 300, (1, 8)))
    finally:
        M._varlen_native_gqa.cache_clear()


def _checked(kernel):
    """Record each call's window and pass it on."""

    def run(q, k, v, mask, scale):
        _checked.windows.add(mask.window)
        return kernel(q, k, v, mask, scale)

    _checked.windows = set()
    return run
