"""CUDA-only checks (skipped without a GPU): the FlexAttention and Flash-varlen paths against SDPA in forward and
backward, eager and compiled with activation checkpointing, and one bf16 training step with checkpointing."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from train_entry.model import HybridLM, ModelConfig

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device"),
]


def cfg(**kw) -> ModelConfig:
    base = {
        "vocab_size": 512,
        "hidden_size": 128,
        "intermediate_size": 256,
        "num_layers": 4,
        "num_heads": 4,
        "num_kv_heads": 2,
        "head_dim": 32,
        "layer_pattern": "LLLG",
        "sliding_window": 200,
    }
    return ModelConfig(**{**base, **kw})


def rel_err(a: torch.Tensor, ref: torch.Tensor) -> float:
    """‖a − ref‖ / ‖ref‖ in fp32 (bf16 operands land between 1e-3 and 1e-2)."""
    return ((a.float() - ref.float()).norm() / ref.float().norm()).item()


def loss_and_grads(model, ids, seg, tgt, bf16: bool):
    model.zero_grad(set_to_none=True)
    with torch.autocast("cuda", torch.bfloat16, enabled=bf16):
        loss = model(ids, seg, targets_BL=tgt)
    loss.backward()
    return loss.detach(), [
        (n, p.grad.clone()) for n, p in model.named_parameters()
    ]  # wrappers rename, not reorder


def assert_same_model(fast, ref, twin=None, what: str = "") -> None:
    """`fast` and `ref` are (loss, grads) of the fast path and of fp32 SDPA. fp32 fast paths match elementwise. A
    bf16 one (Flash runs only in bf16/fp16) must be about as close to fp32 SDPA as SDPA itself is under the same bf16
    autocast (`twin`): bf16 alone moves some gradients by ~2.5% (measured on CPU), a crossed document boundary by
    far more."""
    if twin is None:
        torch.testing.assert_close(fast[0], ref[0], rtol=1e-4, atol=1e-3, msg=f"loss {what}")
        for (name, g), (_, got) in zip(ref[1], fast[1], strict=True):
            torch.testing.assert_close(got, g, rtol=1e-3, atol=1e-4, msg=f"{name} {what}")
        return
    assert rel_err(fast[0], ref[0]) <= 2 * rel_err(twin[0], ref[0]) + 1e-3, (
        f"loss {what}: {fast[0]} vs {ref[0]}"
    )
    for (name, g), (_, f), (_, t) in zip(ref[1], fast[1], twin[1], strict=True):
        got, bound = rel_err(f, g), 1.5 * rel_err(t, g) + 2e-3
        assert got <= bound, f"{name} {what}: relative error {got:.3g} vs SDPA bf16's {bound:.3g} bound"


@pytest.mark.parametrize("impl", ["flex", "varlen"])
def test_fast_attention_matches_sdpa_forward_and_backward_on_cuda(impl):
    """FlexAttention in fp32, elementwise; Flash varlen (bf16 only) as close as SDPA under the same bf16 autocast."""
    torch.manual_seed(0)
    sdpa = HybridLM(cfg(attn_impl="sdpa")).cuda()
    fast = HybridLM(cfg(attn_impl=impl)).cuda()
    fast.load_state_dict(sdpa.state_dict())
    ids = torch.randint(0, 512, (2, 1024), device="cuda")
    seg = torch.ones_like(ids)
    seg[0, 600:] = 2
    seg[1, 1000:] = 0
    tgt = torch.roll(ids, -1, 1)
    bf16 = impl == "varlen"
    ref = loss_and_grads(sdpa, ids, seg, tgt, bf16=False)
    twin = loss_and_grads(sdpa, ids, seg, tgt, bf16=True) if bf16 else None
    assert_same_model(loss_and_grads(fast, ids, seg, tgt, bf16), ref, twin)


def test_flash_varlen_kernel_follows_the_documented_window_rule():
    """torch's kernel, alone, against an fp32 SDPA reference with the model's own dense mask: packed documents, GQA
    and a small window (4), where an off-by-one window would move the output by far more than bf16 rounding."""
    from train_entry.attention import build_masks, dense_mask, varlen_attention

    torch.manual_seed(0)
    c = cfg(sliding_window=4)
    seg = torch.tensor([[1] * 300 + [2] * 500 + [0] * 24], device="cuda")
    L, scale = seg.shape[1], c.head_dim**-0.5
    q = torch.randn(L, c.num_heads, c.head_dim, device="cuda", dtype=torch.bfloat16, requires_grad=True)
    k, v = (torch.randn(L, c.num_kv_heads, c.head_dim, device="cuda", dtype=torch.bfloat16, requires_grad=True)
            for _ in range(2))  # fmt: skip
    w = torch.randn(L, c.num_heads, c.head_dim, device="cuda")

    def reference(window):
        q32, k32, v32 = (t.detach().float().transpose(0, 1)[None].requires_grad_() for t in (q, k, v))
        y = F.scaled_dot_product_attention(q32, k32, v32, attn_mask=dense_mask(seg, window), scale=scale,
                                           enable_gqa=True)[0].transpose(0, 1)  # fmt: skip
        (y * w).sum().backward()
        return y, [t.grad[0].transpose(0, 1) for t in (q32, k32, v32)]

    for local, window in ((True, 4), (False, None)):
        y = varlen_attention(q, k, v, build_masks(seg, c, "varlen")[local], scale)
        for t in (q, k, v):
            t.grad = None
        (y.float() * w).sum().backward()
        ref_y, ref_grads = reference(window)
        assert rel_err(y, ref_y) < 1e-2, f"local={local}: output off by {rel_err(y, ref_y):.3g}"
        for name, t, g in zip("qkv", (q, k, v), ref_grads):
            assert rel_err(t.grad, g) < 2e-2, f"local={local}: d{name} off by {rel_err(t.grad, g):.3g}"
        if local:
            wrong, _ = reference(5)
            assert rel_err(y, wrong) > 5e-2, "the check cannot tell window 4 from 5"


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


def sdpa_and_compiled(impl: str) -> tuple[HybridLM, HybridLM]:
    """An eager SDPA model and its twin with `impl`, compiled per layer with activation checkpointing (training's
    fast path), same weights."""
    from train_entry.distributed import apply_activation_checkpointing, apply_compile

    torch.manual_seed(0)
    ref = HybridLM(cfg(attn_impl="sdpa")).cuda()
    fast = HybridLM(cfg(attn_impl=impl)).cuda()
    fast.load_state_dict(ref.state_dict())
    apply_activation_checkpointing(fast)
    apply_compile(fast)
    return ref, fast


@pytest.mark.parametrize("impl", ["flex", "varlen"])
def test_compiled_checkpointed_layers_match_eager_sdpa(impl):
    """The benchmark's and trainer's fast path (torch.compile per layer + activation checkpointing + FlexAttention
    or Flash varlen with packed documents) gives the loss and gradients of the plain SDPA model, at two lengths and
    two document counts (the second one recompiles with dynamic shapes)."""
    ref, fast = sdpa_and_compiled(impl)
    for L in (1024, 1536):
        ids = torch.randint(0, 512, (1, L), device="cuda")
        seg = torch.ones_like(ids)
        seg[0, L // 3 :] = 2  # documents: attention must not cross a boundary
        if L > 1024:
            seg[0, L // 2 :] = 3
        tgt = torch.roll(ids, -1, 1)
        bf16 = impl == "varlen"
        want = loss_and_grads(ref, ids, seg, tgt, bf16=False)
        twin = loss_and_grads(ref, ids, seg, tgt, bf16=True) if bf16 else None
        assert_same_model(loss_and_grads(fast, ids, seg, tgt, bf16), want, twin, what=f"at L={L}")


@pytest.mark.parametrize("impl", ["flex", "varlen"])
def test_one_document_rows_without_ids_match_masked_sdpa(impl):
    """Rows that are one document each (`train_entry.data.one_document_rows`, trailing padding allowed) run without
    document ids: SDPA's causal kernel on the global layers (cuDNN first on Hopper), a band without ids on the local
    ones. Compiled + checkpointed under bf16, as close to fp32 masked SDPA as SDPA itself is under bf16."""
    from train_entry.data import make_batch

    ref, fast = sdpa_and_compiled(impl)
    ids = torch.randint(0, 512, (2, 1024))
    seg = torch.ones_like(ids)
    seg[0, 900:] = 0
    b = make_batch(ids, torch.ones_like(ids, dtype=torch.bool), seg).to("cuda")
    assert b.attention_segments is None
    want = loss_and_grads(ref, b.input_ids, b.segment_ids, b.targets, bf16=False)
    twin = loss_and_grads(ref, b.input_ids, b.segment_ids, b.targets, bf16=True)
    assert_same_model(loss_and_grads(fast, b.input_ids, None, b.targets, bf16=True), want, twin, what=impl)


@pytest.mark.skipif(
    not torch.cuda.is_available() or torch.cuda.get_device_capability()[0] != 9, reason="Hopper only"
)
@pytest.mark.parametrize("compiled", [False, True])
def test_hopper_runs_cudnn_attention_for_one_document_rows(compiled):
    """`Causal(cudnn_first=True)` must really reach cuDNN's kernel with our GQA shapes (32/8 heads in the bench), eager
    and inside the compiled layers (the priority is set while Dynamo traces); if cuDNN refused them SDPA would quietly
    fall back to Flash and the speed-up would be lost."""
    from torch.profiler import ProfilerActivity, profile

    from train_entry.distributed import apply_compile

    model = HybridLM(cfg(layer_pattern="G", num_heads=8, num_kv_heads=2, head_dim=64)).cuda()
    if compiled:
        apply_compile(model)
    ids = torch.randint(0, 512, (1, 2048), device="cuda")
    with torch.autocast("cuda", torch.bfloat16):
        model(ids, targets_BL=torch.roll(ids, -1, 1)).backward()  # compiles outside the profile
    with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
        with torch.autocast("cuda", torch.bfloat16):
            model(ids, targets_BL=torch.roll(ids, -1, 1)).backward()
        torch.cuda.synchronize()
    ops = {
        e.name for e in prof.events() if "scaled_dot_product" in e.name
    }  # the dispatcher's op names are stable
    assert "aten::_scaled_dot_product_cudnn_attention" in ops, (
        f"cuDNN attention did not run; SDPA ops: {sorted(ops)}"
    )
    assert not any("flash" in op for op in ops), f"Flash ran as well: {sorted(ops)}"
