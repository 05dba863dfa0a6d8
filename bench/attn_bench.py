"""Attention kernels alone, forward + backward, on the 1.3B bench shape's heads (32 query / 8 key-value, head_dim 64):
FlexAttention with its default kernel options and with candidate `kernel_options`, torch's Flash varlen kernel, and
SDPA's causal kernels (Flash; cuDNN, which the model tries first on Hopper) where they apply (one document, no window).

    python bench/attn_bench.py                 # GPU: seq 4K and 32K, one document and packed documents
    python bench/attn_bench.py --smoke         # CPU (also the default without CUDA): tiny shape, SDPA path only

Why: in the 4K training step on the H200, FlexAttention took 295 of 937 ms at ~180 TFLOP/s on causal FLOPs while
the matmuls ran at ~770 (bench/RESULTS.md, train_bench). Each kernel here compiles in seconds, so a GPU session can
try many options and carry the best into the model. Rows: layer kind (global = causal; local = window 4096),
documents per row (1, or packed: seeded log-normal lengths, median 1K tokens, as in a packed export), kernel, the
median of `--iters` timed calls, and TFLOP/s on the pairs really attended (4·H·d per pair forward, ×3 for forward
+ backward, as in train_entry.model.flops_per_token). A kernel that cannot run says why in its row.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
import traceback
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._report import table, write_section
from train_entry.attention import build_masks, varlen_attention
from train_entry.model import PRESETS, ModelConfig

# FlexAttention `kernel_options` to try (torch.nn.attention.flex_attention.FlexKernelOptions; `fwd_`/`bwd_` prefixes
# set one pass). Inductor's own H100 defaults for head_dim 64 are the first row; the others are the block shapes
# and warp counts its max-autotune search space visits (torch/_inductor/template_heuristics/triton.py).
FLEX_OPTIONS: dict[str, dict | None] = {
    "flex (default)": None,
    "flex TMA": {"USE_TMA": True},
    "flex fwd 128×128 w8 s2": {"fwd_BLOCK_M": 128, "fwd_BLOCK_N": 128, "fwd_num_warps": 8, "fwd_num_stages": 2},
    "flex fwd 128×64 w4 s3": {"fwd_BLOCK_M": 128, "fwd_BLOCK_N": 64, "fwd_num_warps": 4, "fwd_num_stages": 3},
    "flex bwd 64/128 w8 s3": {"bwd_BLOCK_M1": 64, "bwd_BLOCK_N1": 128, "bwd_BLOCK_M2": 128, "bwd_BLOCK_N2": 64,
                              "bwd_num_warps": 8, "bwd_num_stages": 3},
    "flex bwd 64/64 w4 s3": {"bwd_BLOCK_M1": 64, "bwd_BLOCK_N1": 64, "bwd_BLOCK_M2": 64, "bwd_BLOCK_N2": 64,
                             "bwd_num_warps": 4, "bwd_num_stages": 3},
    "flex bwd 32/64 w4 s4": {"bwd_BLOCK_M1": 32, "bwd_BLOCK_N1": 64, "bwd_BLOCK_M2": 64, "bwd_BLOCK_N2": 32,
                             "bwd_num_warps": 4, "bwd_num_stages": 4},
}  # fmt: skip


def doc_lengths(seq: int, packed: bool, seed: int = 0) -> list[int]:
    """One document, or seeded log-normal lengths (median 1024, or seq/4 when shorter; 16..seq/2) that fill the row."""
    if not packed:
        return [seq]
    g = torch.Generator().manual_seed(seed)
    mu = math.log(min(1024, seq // 4))
    out: list[int] = []
    while sum(out) < seq:
        n = int(torch.empty(1).log_normal_(mean=mu, std=1.0, generator=g).clamp(16, seq // 2).item())
        out.append(min(n, seq - sum(out)))
    return out


def attended_pairs(lengths: list[int], window: int | None) -> int:
    """(query, key) pairs the mask keeps: Σ over documents of Σ_t min(t + 1, window)."""
    total = 0
    for n in lengths:
        w = min(window or n, n)
        total += w * (w + 1) // 2 + (n - w) * w
    return total


def segments(lengths: list[int], device) -> torch.Tensor:
    return torch.repeat_interleave(torch.arange(1, len(lengths) + 1), torch.tensor(lengths)).to(device)[None]


def kernels(seg: torch.Tensor, cfg: ModelConfig, local: bool, cuda: bool) -> dict[str, object]:
    """name → fn(q, k, v) on [1, H, L, d] inputs (varlen: [L, H, d], its layout in the model) for one layer kind,
    with the model's own masks (`build_masks`); a string instead of a fn says why the kernel does not apply."""
    scale = cfg.head_dim**-0.5
    if not cuda:
        mask = build_masks(seg, cfg, "sdpa")[local]
        return {"sdpa (dense mask)": lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=mask, scale=scale,
                                                                                    enable_gqa=True)}  # fmt: skip
    from torch.nn.attention.flex_attention import flex_attention

    one_doc = bool((seg == seg[0, 0]).all())
    out: dict[str, object] = {}
    for name, backend, repeat in SDPA_CAUSAL:
        out[name] = (lambda q, k, v, b=backend, r=repeat: sdpa_causal(q, k, v, scale, b, r)) if one_doc and not local \
            else "needs one document and no window"  # fmt: skip
    block_mask = build_masks(seg, cfg, "flex")[local]
    flex = torch.compile(flex_attention, dynamic=False)
    for name, opts in FLEX_OPTIONS.items():
        out[name] = lambda q, k, v, opts=opts: flex(q, k, v, block_mask=block_mask, scale=scale, enable_gqa=True,
                                                    kernel_options=opts)  # fmt: skip
    if one_doc and local:  # the model's band for one-document rows: no document ids to look up per pair
        band = build_masks(None, cfg, "flex", like_BL=seg)[local]
        out["flex band (no doc ids)"] = lambda q, k, v: flex(
            q, k, v, block_mask=band, scale=scale, enable_gqa=True
        )
    try:
        vm = build_masks(seg, cfg, "varlen")[local]
        out[VARLEN] = lambda q, k, v: varlen_attention(q, k, v, vm, scale)
    except RuntimeError as e:
        out[VARLEN] = str(e)[:60]
    return out


VARLEN = "varlen (flash)"
# SDPA's causal kernels for one-document rows (the model's `Causal`): Flash (GQA native), cuDNN (what the model tries
# first on Hopper) with GQA as is and with key/value heads repeated (in case this torch's cuDNN path refuses GQA).
SDPA_CAUSAL = [("sdpa causal (flash)", "FLASH_ATTENTION", False), ("sdpa causal (cudnn)", "CUDNN_ATTENTION", False),
               ("sdpa causal (cudnn, kv repeated)", "CUDNN_ATTENTION", True)]  # fmt: skip


def sdpa_causal(q, k, v, scale: float, backend: str, repeat: bool):
    """SDPA's causal attention on one backend only (an error if that backend refuses the inputs)."""
    from torch.nn.attention import SDPBackend, sdpa_kernel

    if repeat:
        k, v = (t.repeat_interleave(q.shape[1] // t.shape[1], dim=1) for t in (k, v))
    with sdpa_kernel([getattr(SDPBackend, backend)]):
        return F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=scale, enable_gqa=not repeat)


def time_fwd_bwd(fn, q, k, v, warmup: int, iters: int, cuda: bool) -> float:
    """Median seconds of one forward + backward."""
    grad = None
    times = []
    for i in range(warmup + iters):
        for t in (q, k, v):
            t.grad = None
        if cuda:
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        out = fn(q, k, v)
        grad = torch.ones_like(out) if grad is None else grad
        out.backward(grad)
        if cuda:
            torch.cuda.synchronize()
        if i >= warmup:
            times.append(time.perf_counter() - t0)
    return sorted(times)[len(times) // 2]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--smoke", action="store_true", help="tiny shape on CPU (SDPA path only)")
    p.add_argument(
        "--seqs", type=lambda s: [int(x) for x in s.split(",")], help="sequence lengths, comma-separated"
    )
    p.add_argument("--iters", type=int, default=10, help="timed calls per row (median)")
    p.add_argument("--only", help="run only kernels whose name contains this")
    p.add_argument("--no-write", action="store_true", help="print only; leave bench/RESULTS.md alone")
    args = p.parse_args(argv)
    cuda = torch.cuda.is_available() and not args.smoke
    cfg = PRESETS["bench-1.3b"] if cuda else PRESETS["bench-1.3b"].replace(num_heads=4, num_kv_heads=2, head_dim=16,
                                                                           sliding_window=64)  # fmt: skip
    H, K, d, window = cfg.num_heads, cfg.num_kv_heads, cfg.head_dim, cfg.sliding_window
    seqs = args.seqs or ([4096, 32768] if cuda else [256])
    device, dtype = ("cuda", torch.bfloat16) if cuda else ("cpu", torch.float32)
    if cuda:
        torch._dynamo.config.recompile_limit = 64  # one graph per kernel_options set and layout
    name = torch.cuda.get_device_name() if cuda else "CPU (smoke: tiny heads, SDPA only)"
    print(f"device: {name} · torch {torch.__version__}", flush=True)
    rows = []
    for seq in seqs:
        for packed in (False, True):
            lengths = doc_lengths(seq, packed)
            seg = segments(lengths, device)
            for kind, win in (("global", None), ("local", window)):
                if win and win >= seq:
                    continue  # the window covers the row: a local layer is a global one here
                g = torch.Generator(device="cpu").manual_seed(seq)
                qkv = [torch.randn(1, h, seq, d, generator=g).to(device, dtype) for h in (H, K, K)]
                flops = 3 * 4 * H * d * attended_pairs(lengths, win)
                base = None
                for kname, fn in kernels(seg, cfg, kind == "local", cuda).items():
                    # fresh leaves per kernel, already in its layout (the model makes it inside a fused kernel)
                    q, k, v = (
                        t[0].transpose(0, 1).contiguous() if kname == VARLEN else t.clone() for t in qkv
                    )
                    if args.only and args.only not in kname:
                        continue
                    row = {"seq": seq, "docs": len(lengths), "kind": kind, "kernel": kname}
                    if isinstance(fn, str):
                        row["error"] = fn
                    else:
                        try:
                            q, k, v = (t.requires_grad_() for t in (q, k, v))
                            row["s"] = time_fwd_bwd(
                                fn, q, k, v, warmup=3 if cuda else 1, iters=args.iters, cuda=cuda
                            )
                            row["tflops"] = flops / row["s"] / 1e12
                            base = row["s"] if kname == "flex (default)" else base
                            row["vs_flex"] = base / row["s"] if base else None
                        except Exception as e:  # noqa: BLE001 — one kernel that cannot run must not hide the others
                            traceback.print_exc()
                            row["error"] = (
                                f"{type(e).__name__}: {str(e).splitlines()[0][:70] if str(e) else ''}"
                            )
                    print(row, flush=True)
                    rows.append(row)
    text = table(["seq", "docs", "layer", "kernel", "fwd+bwd ms", "TFLOP/s", "speed vs flex default"],
                 [[f"{r['seq']:,}", r["docs"], r["kind"], r["kernel"], f"{r['s'] * 1e3:.2f}" if "s" in r else r["error"],
                   f"{r['tflops']:.3g}" if "s" in r else "-", f"{r['vs_flex']:.2f}×" if r.get("vs_flex") else "-"]
                  for r in rows])  # fmt: skip
    how = f"{H}/{K} heads, head_dim {d}, {dtype}, median of {args.iters} forward+backward calls"
    print(f"device: {name} · {how}\n{text}")
    if cuda and not args.no_write:
        write_section("attn_bench", f"Device: {name}, torch {torch.__version__}. {how}.\n\n{text}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
