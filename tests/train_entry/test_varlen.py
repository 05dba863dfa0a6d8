"""The varlen attention path (torch's Flash varlen kernel, CUDA-only) checked on CPU: the plumbing around the kernel
(document starts, layouts, Flash's window convention, GQA by repeat or natively) runs with a reference kernel that
implements Flash's documented semantics, against the SDPA path in loss and every gradient. Then torch's own varlen
custom ops get CPU kernels with the same rule, so its public wrapper, its autograd and `torch.compile` with
activation checkpointing run here too. tests/train_entry/test_gpu.py checks the real kernel on CUDA."""

from __future__ import annotations

from itertools import pairwise

import pytest
import torch
import torch.nn.functional as F

import train_entry.attention as A
from train_entry.attention import VarlenMask, varlen_documents
from train_entry.model import HybridLM, ModelConfig


def tiny(**kw) -> ModelConfig:
    return ModelConfig(vocab_size=300, hidden_size=64, intermediate_size=128, num_layers=4, num_heads=4,
                       num_kv_heads=2, head_dim=16, layer_pattern="LLLG", sliding_window=12, rope_theta=10_000.0,
                       **kw)  # fmt: skip


def flash_varlen_reference(q_THd, k_THd, v_THd, mask: VarlenMask, scale: float) -> torch.Tensor:
    """Flash's varlen rule, written out: documents [cu[n], cu[n+1]) attend only inside themselves; query i keeps key j
    when i − left ≤ j ≤ i + right (−1 = unbounded), positions counted inside the document."""
    if q_THd.shape[1] != k_THd.shape[1]:
        assert mask.native_gqa, "fewer key/value heads reached a kernel that was told to expect repeated ones"
    cu = mask.cu_seqlens.tolist()
    assert max(b - a for a, b in pairwise(cu)) <= mask.max_len
    return _reference(q_THd, k_THd, v_THd, cu, mask.window, scale)


def _keep(n: int, window) -> torch.Tensor:
    """[n, n] boolean: query i keeps key j when i − left ≤ j ≤ i + right (−1 = unbounded)."""
    left, right = window
    i, j = torch.arange(n)[:, None], torch.arange(n)[None, :]
    return (j <= i + right if right >= 0 else True) & (j >= i - left if left >= 0 else True)


def _flash_window(window_size, is_causal: bool) -> tuple[int, int]:
    """The window torch's op applies: its `is_causal` flag closes the right side."""
    left, right = window_size or (-1, -1)
    return left, 0 if is_causal else right


def _reference(q_THd, k_THd, v_THd, cu: list[int], window, scale) -> torch.Tensor:
    assert cu[0] == 0 and cu[-1] == q_THd.shape[0], f"cu_seqlens {cu} do not cover {q_THd.shape[0]} tokens"
    out = torch.empty_like(q_THd)
    for a, b in pairwise(cu):
        keep = _keep(b - a, window)
        q, k, v = (t[a:b].transpose(0, 1) for t in (q_THd, k_THd, v_THd))
        y = F.scaled_dot_product_attention(
            q, k, v, attn_mask=keep, scale=scale, enable_gqa=q.shape[0] != k.shape[0]
        )
        out[a:b] = y.transpose(0, 1)
    return out


_CPU_KERNELS: list = []


@pytest.fixture
def torch_varlen_on_cpu():
    """torch's own varlen custom ops (its public `varlen_attn`, fake kernels for compile, autograd) with CPU kernels
    that follow Flash's rule, so the whole path, torch's wrapper and `torch.compile` included, runs here. They are
    registered once and enabled only inside this fixture (elsewhere varlen on CPU fails as it does for users)."""
    from torch.nn.attention import varlen as V

    fwd, bwd = V._varlen_attn, V._varlen_attn_backward
    if not _CPU_KERNELS:

        def forward(query, key, value, cu_seq_q, cu_seq_k, max_q, max_k, is_causal=False, scale=None,
                    window_size=None, enable_gqa=False, seqused_k=None, block_table=None, num_splits=None):  # fmt: skip
            assert enable_gqa or query.shape[1] == key.shape[1]
            out = _reference(
                query, key, value, cu_seq_q.tolist(), _flash_window(window_size, is_causal), scale
            )
            lse = torch.zeros(
                query.shape[1], query.shape[0], dtype=torch.float
            )  # unused by the backward below
            return out, lse, torch.zeros(2, dtype=torch.uint64)

        def backward(grad_out, query, key, value, out, lse, cu_seq_q, cu_seq_k, max_q, max_k, is_causal, rng_state,
                     scale=None, window_size=None):  # fmt: skip
            """Attention's backward by its formulas, per document (autograd is off inside a kernel):
            dV = Pᵀ dO, dS = P ⊙ (dO Vᵀ − rowsum(dO ⊙ O)), dQ = s·dS K, dK = s·dSᵀ Q; GQA sums over each group."""
            window = _flash_window(window_size, is_causal)
            rep = query.shape[1] // key.shape[1]
            dq, dk, dv = (torch.zeros_like(t) for t in (query, key, value))
            for a, b in pairwise(cu_seq_q.tolist()):
                keep = _keep(b - a, window)
                q = query[a:b].transpose(0, 1)
                k, v = (t[a:b].transpose(0, 1).repeat_interleave(rep, 0) for t in (key, value))
                do, o = grad_out[a:b].transpose(0, 1), out[a:b].transpose(0, 1)
                p = torch.softmax((scale * q @ k.transpose(1, 2)).masked_fill(~keep, float("-inf")), dim=-1)
                ds = p * (do @ v.transpose(1, 2) - (do * o).sum(-1, keepdim=True))
                dq[a:b] = (scale * ds @ k).transpose(0, 1)
                dk[a:b] = (scale * ds.transpose(1, 2) @ q).unflatten(0, (-1, rep)).sum(1).transpose(0, 1)
                dv[a:b] = (p.transpose(1, 2) @ do).unflatten(0, (-1, rep)).sum(1).transpose(0, 1)
            return dq, dk, dv

        fwd.register_kernel("cpu", forward)
        bwd.register_kernel("cpu", backward)
        fwd._disabled_kernel.add("cpu")  # off until a test enters the context below
        bwd._disabled_kernel.add("cpu")
        _CPU_KERNELS.append(True)
    with fwd.set_kernel_enabled("cpu", True), bwd.set_kernel_enabled("cpu", True):
        yield


def test_document_starts_cover_rows_segments_and_padding():
    seg = torch.tensor([[1, 1, 2, 2, 2, 0], [3, 3, 3, 3, 3, 3], [4, 0, 0, 5, 5, 5]])
    # row starts (0, 6, 12), the 1→2 and 2→0 changes in row 0, and 4→0, 0→5 in row 2
    assert varlen_documents(seg).tolist() == [0, 2, 5, 6, 12, 13, 15, 18]
    assert varlen_documents(seg).dtype == torch.int32


def sdpa_and_varlen() -> tuple[HybridLM, HybridLM]:
    torch.manual_seed(0)
    ref = HybridLM(tiny(attn_impl="sdpa"))
    var = HybridLM(tiny(attn_impl="varlen"))
    var.load_state_dict(ref.state_dict())
    return ref, var


def assert_varlen_equals_sdpa(ids, seg) -> None:
    """The varlen model and its SDPA twin give the same mean loss and every gradient on (ids, seg)."""
    ref, var = sdpa_and_varlen()
    tgt = torch.roll(ids, -1, 1)
    losses = []
    for m in (ref, var):
        losses.append(m(ids, seg, targets_BL=tgt) / tgt.numel())  # mean: gradients of order 1
        losses[-1].backward()
    torch.testing.assert_close(losses[1], losses[0], rtol=1e-5, atol=1e-5)
    for (name, a), b in zip(ref.named_parameters(), var.parameters()):
        torch.testing.assert_close(b.grad, a.grad, rtol=1e-4, atol=1e-6, msg=name)


@pytest.mark.parametrize("native_gqa", [True, False])
def test_varlen_path_matches_sdpa_in_loss_and_gradients(monkeypatch, native_gqa):
    monkeypatch.setattr(A, "_flash_varlen", _checked(flash_varlen_reference))
    monkeypatch.setattr(A, "_varlen_native_gqa", lambda: native_gqa)
    seg = torch.tensor([[1] * 30 + [2] * 14 + [0] * 4, [3] * 48])  # documents longer than the window (12)
    assert_varlen_equals_sdpa(torch.randint(0, 300, (2, 48)), seg)
    assert _checked.windows == {(11, 0), (-1, 0)}, (
        "local layers get (window − 1, 0), the global layer (−1, 0)"
    )


def test_one_document_rows_need_no_host_sync(monkeypatch):
    """Without document ids the row starts are `cu_seqlens` (no look at the data); only local layers whose window is
    inside the row reach the kernel, and the result is the SDPA path's."""
    monkeypatch.setattr(A, "_flash_varlen", _checked(flash_varlen_reference))
    monkeypatch.setattr(A, "_varlen_native_gqa", lambda: True)

    def no_sync(seg):
        raise AssertionError("varlen_documents (a host sync) ran for rows known to be one document each")

    monkeypatch.setattr(A, "varlen_documents", no_sync)
    assert_varlen_equals_sdpa(torch.randint(0, 300, (2, 48)), None)
    assert _checked.windows == {(11, 0)}, "the global layer runs SDPA's causal kernel, not varlen"
    assert _checked.cu == [0, 48, 96]


def test_a_wrong_window_convention_would_be_caught(monkeypatch):
    """The parity above is not vacuous: the same kernel told `window` instead of `window − 1` gives another loss."""
    shifted = lambda q, k, v, m, s: flash_varlen_reference(q, k, v, VarlenMask(
        m.cu_seqlens, m.max_len, (m.window[0] + 1 if m.window[0] >= 0 else -1, 0), m.native_gqa), s)  # fmt: skip
    monkeypatch.setattr(A, "_flash_varlen", shifted)
    ref, var = sdpa_and_varlen()
    ids = torch.randint(0, 300, (1, 40))
    with torch.no_grad():
        assert not torch.allclose(var(ids), ref(ids), atol=1e-4)


def test_varlen_without_a_window_capable_torch_says_what_to_use(monkeypatch):
    import inspect

    A._varlen_native_gqa.cache_clear()  # it checks the installed torch once; make it look again
    from torch.nn.attention import varlen

    monkeypatch.setattr(
        varlen, "varlen_attn", lambda query, key, value, cu_seq_q, cu_seq_k, max_q, max_k: None
    )
    assert "window_size" not in inspect.signature(varlen.varlen_attn).parameters
    try:
        with pytest.raises(RuntimeError, match=r"torch >= 2\.10.*use attn_impl='flex'"):
            ids = torch.randint(
                0, 300, (1, 8)
            )  # with document ids: a row this short without them is all `Causal`
            HybridLM(tiny(attn_impl="varlen"))(ids, torch.ones_like(ids))
    finally:
        A._varlen_native_gqa.cache_clear()


def _checked(kernel):
    """Record each call's window (and the last `cu_seqlens`) and pass it on."""

    def run(q, k, v, mask, scale):
        _checked.windows.add(mask.window)
        _checked.cu = mask.cu_seqlens.tolist()
        return kernel(q, k, v, mask, scale)

    _checked.windows = set()
    return run


def test_torch_varlen_compiled_and_checkpointed_matches_sdpa(torch_varlen_on_cpu):
    """The training fast path with torch's real varlen wrapper: compiled (Inductor, CPU) + checkpointed layers equal
    the SDPA model in loss and every gradient, at two lengths and several document counts; a new document count at
    the same length compiles nothing new (`cu_seqlens` is marked dynamic)."""
    from torch._dynamo.utils import counters

    from train_entry.distributed import apply_activation_checkpointing, apply_compile

    torch._dynamo.reset()
    torch.manual_seed(0)
    ref = HybridLM(tiny(attn_impl="sdpa"))
    fast = HybridLM(tiny(attn_impl="varlen"))
    fast.load_state_dict(ref.state_dict())
    apply_activation_checkpointing(fast)
    apply_compile(fast)
    compiles = []
    for L, cuts in ((40, [15]), (40, [10, 22, 31]), (40, [5, 6]), (56, [20])):
        ids = torch.randint(0, 300, (1, L))
        seg = torch.ones_like(ids)
        for n, c in enumerate(cuts, start=2):
            seg[0, c:] = n
        tgt = torch.roll(ids, -1, 1)
        want, got = ref(ids, seg, targets_BL=tgt), fast(ids, seg, targets_BL=tgt)
        want.backward()
        got.backward()
        torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-4, msg=f"loss at L={L}, cuts {cuts}")
        for (name, a), b in zip(ref.named_parameters(), fast.parameters()):
            torch.testing.assert_close(
                b.grad, a.grad, rtol=1e-4, atol=1e-4, msg=f"{name} at L={L}, cuts {cuts}"
            )
            a.grad = b.grad = None
        compiles.append(counters["stats"]["unique_graphs"])
    assert compiles[0] > 0, "nothing was compiled: the test did not run the compiled path"
    assert compiles[1] == compiles[2] == compiles[0], f"a new document count recompiled: graphs {compiles}"
