"""Training throughput of train_entry's HybridLM vs HF `Exaone4ForCausalLM`, measured in the same run.

    python bench/train_bench.py            # GPU: ~1.3B (d 2048, 32 layers, 32/8 heads, vocab 102400), seq 4K–64K
    python bench/train_bench.py --smoke    # CPU (also the default without CUDA): tiny shape, same code path and
                                           # table, printed only (numbers mean little; RESULTS.md keeps the GPU's)

One timed iteration = one optimizer step of the trainer: batch-1 micro-batches (forward + fused chunked
cross-entropy + backward) accumulated up to `--tokens-per-step` tokens (32K on GPU: 8 × 4K, 2 × 16K, 1 × 32K or
more), then grad clip + AdamW. Real runs step every few million tokens; stepping every 4K tokens would spend ~10%
of a 1.3B model's time in AdamW. `--batch` puts several sequences in each micro-batch. Each row is one document
(random tokens), so ours run as the trainer runs such batches (`train_entry.data.one_document_rows`): no document ids,
SDPA's causal kernel where the window covers the row (cuDNN first on Hopper), a FlexAttention band elsewhere;
`--doc-mask` passes all-ones document ids instead, so the document-mask kernels run (how sessions 1–4 measured).
Rows: ours hybrid (LLLG, window 4096, FlexAttention on CUDA; `--attn varlen`: torch's Flash varlen kernel), ours
all-global (same shape, pattern G), HF Exaone4ForCausalLM with sdpa and its own loss (full logits). bf16 autocast
over fp32 weights for all three on CUDA; activation checkpointing (both models) from 16K on. MFU = model
FLOPs/token (train_entry.model.flops_per_token: 6·N + causal/windowed attention) × tokens/s ÷ the GPU's dense bf16
peak. A variant that runs out of memory says so in its row. On GPU, rows run in priority order (the goals' rows
first) and no row starts after `--budget-s` seconds; `--jsonl` appends each row as it finishes, so a run cut short
keeps what it measured. `--profile` prints where one step's device time goes (matmul, attention, compiled and
eager elementwise, AdamW).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import sys
import time
import traceback
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._report import table, write_section
from train_entry.attention import ATTN_IMPLS
from train_entry.model import PRESETS, HybridLM, ModelConfig, flops_per_token
from train_entry.weight_cache import Bf16WeightCache

PEAK_BF16 = {"H100": 989e12, "H200": 989e12, "A100": 312e12, "L40S": 362e12}  # dense, vendor datasheets
TINY = ModelConfig(vocab_size=8192, hidden_size=64, intermediate_size=256, num_layers=4, num_heads=4, num_kv_heads=2,
                   head_dim=16, layer_pattern="LLLG", sliding_window=64, rope_theta=10_000.0)  # fmt: skip


def peak_flops(device: torch.device) -> float | None:
    if device.type != "cuda":
        return None
    name = torch.cuda.get_device_name(device)
    return next((v for k, v in PEAK_BF16.items() if k in name), None)


def build(
    variant: str, cfg: ModelConfig, device: torch.device, ac: bool, compile_layers: bool, cache: bool = False
):
    """(model, step function) for one variant; the step runs one full optimizer step on a batch. Ours run with
    `cfg.attn_impl` (auto = FlexAttention on CUDA) and, with `cache`, train_entry.weight_cache's bf16 copies."""
    from train_entry.distributed import apply_activation_checkpointing
    from train_entry.optim import build_optimizer

    torch.manual_seed(0)
    if variant == "hf":
        from transformers import AutoModelForCausalLM

        from train_entry.hf_io import to_hf_config

        with torch.device(device):
            model = AutoModelForCausalLM.from_config(to_hf_config(cfg), attn_implementation="sdpa")
        if ac:
            getattr(model, "activation_checkpointing_enable", model.gradient_checkpointing_enable)()
        fwd = lambda ids, seg, tgt: model(input_ids=ids, labels=ids).loss
    else:
        if variant == "global":
            cfg = cfg.replace(layer_pattern="G")
        with torch.device(device):
            model = HybridLM(cfg)
        if ac:
            apply_activation_checkpointing(model)
        if compile_layers:
            from train_entry.distributed import apply_compile

            apply_compile(model)
        fwd = lambda ids, seg, tgt: model(ids, seg, targets_BL=tgt) / max(1, tgt.numel())
    opt = build_optimizer(model, lr=1e-4, weight_decay=0.1, betas=(0.9, 0.95))
    amp = torch.autocast("cuda", torch.bfloat16) if device.type == "cuda" else contextlib.nullcontext()
    if cache and device.type != "cuda":
        raise ValueError("--bf16-cache needs bf16 autocast (CUDA)")
    weights = Bf16WeightCache(model) if cache else None

    def step(ids, seg, tgt, micro: int = 1):
        for _ in range(micro):
            with weights or contextlib.nullcontext(), amp:
                loss = fwd(ids, seg, tgt) / micro
            loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        if weights:
            weights.refresh()
        return loss.detach() * micro

    return model, step


def planned_row(variant: str, seq: int, args) -> dict:
    """What a row runs: activation checkpointing, sequences per micro-batch, micro-batches per optimizer step."""
    micro = max(1, args.tokens_per_step // (seq * args.batch))
    ours = variant != "hf"
    return {"variant": variant, "seq": seq, "ac": seq >= args.ac_from, "batch": args.batch, "micro": micro,
            "attn": args.attn if ours else "sdpa", "cache": args.bf16_cache and ours,
            "doc_mask": args.doc_mask and ours, "no_cudnn": args.no_cudnn}  # fmt: skip


def measure(variant: str, cfg: ModelConfig, seq: int, args, device: torch.device) -> dict:
    """One row. A failed compile is retried once from a clean Dynamo cache."""
    row = planned_row(variant, seq, args)
    for attempt in range(2 if args.compile and variant != "hf" else 1):
        error = _try_row(row, variant, cfg, args, device)
        gc.collect()  # after the frames holding the model are gone, so its memory really goes back
        if device.type == "cuda":
            torch.cuda.empty_cache()
        if error is None or error == "out of memory" or attempt:
            break
        print(f"{variant} {seq}: {error}; retrying from a clean Dynamo cache", file=sys.stderr, flush=True)
        torch._dynamo.reset()
        row["note"] = f"recompiled after: {error}"
    if error:
        row["error"] = error
    return row


def _try_row(row: dict, variant: str, cfg: ModelConfig, args, device: torch.device) -> str | None:
    seq, micro = row["seq"], row["micro"]
    try:
        _, step = build(
            variant, cfg.replace(attn_impl=row["attn"]), device, row["ac"], args.compile, row["cache"]
        )
        g = torch.Generator(device="cpu").manual_seed(seq)
        ids = torch.randint(0, cfg.vocab_size, (row["batch"], seq), generator=g).to(device)
        seg = (
            torch.ones_like(ids) if row["doc_mask"] else None
        )  # None: one document per row, as the trainer passes
        tgt = torch.roll(ids, -1, dims=1)
        tgt[:, -1] = -100
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(device)
        for _ in range(args.warmup if variant != "hf" else min(args.warmup, 1)):  # only ours compiles
            step(ids, seg, tgt, micro)
        times = []
        for _ in range(args.steps):  # the fastest step: other jobs on a shared machine only ever add time
            _sync(device)
            t = time.perf_counter()
            loss = step(ids, seg, tgt, micro)
            _sync(device)
            times.append(time.perf_counter() - t)
        row.update(tok_s=ids.numel() * micro / min(times), loss=float(loss))
        row["mem_gb"] = torch.cuda.max_memory_allocated(device) / 2**30 if device.type == "cuda" else None
        if args.profile:
            profile_step(lambda: step(ids, seg, tgt, micro), device, f"{variant} {seq:,} × {micro}")
        return None
    except torch.OutOfMemoryError:
        return "out of memory"
    except Exception as e:  # noqa: BLE001 — a variant that cannot run (e.g. a compile failure) must not hide the others
        traceback.print_exc()
        return f"{type(e).__name__}: {str(e).splitlines()[0][:60] if str(e) else ''}"


# Kernel-name patterns → where a step's device time goes (cuBLAS/cuDNN names, Inductor's triton_* kernels,
# FlexAttention's Inductor templates `triton_tem_*`, the fused AdamW and foreach kernels).
KERNEL_KINDS = [("optimizer + clip", ("adam", "multi_tensor", "foreach")),
                ("attention (flex/sdpa)", ("triton_tem_", "flash", "fmha", "attention", "sdpa", "cudnn")),
                ("matmul", ("gemm", "nvjet", "cutlass", "xmma", "cublas", "aten::mm", "aten::addmm", "aten::bmm")),
                ("compiled elementwise (triton)", ("triton_",)),
                ("memcpy/memset", ("memcpy", "memset")),
                ("other (eager)", ("",))]  # fmt: skip


def profile_step(run, device: torch.device, label: str) -> None:
    """Print where one step's time goes: kernel totals by kind and the top kernels (torch.profiler)."""
    from torch.profiler import ProfilerActivity, profile

    act = ProfilerActivity.CUDA if device.type == "cuda" else ProfilerActivity.CPU
    _sync(device)
    t = time.perf_counter()
    with profile(activities=[act]) as prof:
        run()
        _sync(device)
    wall = time.perf_counter() - t
    kernels = [(e.key, getattr(e, "self_device_time_total", 0) if act == ProfilerActivity.CUDA
                else e.self_cpu_time_total, e.count) for e in prof.key_averages()]  # fmt: skip
    total = sum(k[1] for k in kernels) / 1e6 or 1e-9
    kinds: dict[str, float] = {}
    for key, us, _ in kernels:
        kind = next(k for k, pats in KERNEL_KINDS if any(p in key.lower() for p in pats))
        kinds[kind] = kinds.get(kind, 0.0) + us / 1e6
    print(f"\nprofile {label}: wall {wall * 1e3:.0f} ms (under the profiler), kernels {total * 1e3:.0f} ms")
    print(table(["kind", "ms", "share"], [[k, f"{v * 1e3:.1f}", f"{v / total:.1%}"]
                                          for k, v in sorted(kinds.items(), key=lambda kv: -kv[1])]))  # fmt: skip
    top = sorted(kernels, key=lambda k: -k[1])[:25]
    print(table(["kernel", "ms", "calls"], [[k[:90], f"{us / 1e3:.1f}", n] for k, us, n in top]), flush=True)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


NAMES = {"hybrid": "ours hybrid LLLG", "global": "ours all-global", "hf": "HF Exaone4ForCausalLM (sdpa)"}


def report(rows: list[dict], cfg: ModelConfig, device: torch.device) -> str:
    peak = peak_flops(device)
    by = {(r["variant"], r["seq"]): r for r in rows}
    order = list(NAMES)
    out = []
    for r in sorted(rows, key=lambda r: (r["seq"], order.index(r["variant"]))):
        seq, ok = r["seq"], "tok_s" in r
        flops_cfg = (
            cfg.replace(layer_pattern="G") if r["variant"] == "global" else cfg
        )  # HF: the hybrid's math
        mfu = f"{flops_per_token(flops_cfg, seq) * r['tok_s'] / peak:.1%}" if ok and peak else "n/a"

        def ratio(base: str, r=r, seq=seq, ok=ok) -> str:
            b = by.get((base, seq), {})
            return f"{r['tok_s'] / b['tok_s']:.2f}×" if ok and "tok_s" in b else "-"

        name = NAMES[r["variant"]] + (
            f" · {r['attn']}" if r["variant"] != "hf" and r["attn"] != "auto" else ""
        )
        name += " · bf16 cache" if r.get("cache") else ""
        name += " · doc mask" if r.get("doc_mask") else ""
        name += " · no cuDNN" if r.get("no_cudnn") else ""
        out.append([name, f"{seq:,}", f"{r['micro']} × {r['batch']} × {seq:,}", "yes" if r["ac"] else "no",
                    f"{r['tok_s']:,.0f}" if ok else r["error"], mfu,
                    f"{r['mem_gb']:.1f}" if ok and r.get("mem_gb") is not None else "-",
                    f"{r['loss']:.2f}" if ok else "-",
                    ratio("hf"), ratio("global") if r["variant"] == "hybrid" else "-"])  # fmt: skip
    return table(["model", "seq", "tokens per optimizer step", "act. ckpt", "tokens/s", "MFU", "peak GiB", "loss",
                  "vs HF", "hybrid vs all-global"], out)  # fmt: skip


# GPU rows, most important first: the goals (MFU at 4K vs HF; 32K fits, hybrid vs all-global), then the rest.
GPU_ROWS = [("hybrid", 4096), ("hf", 4096), ("hybrid", 32768), ("global", 32768), ("global", 4096), ("hybrid", 16384),
            ("global", 16384), ("hf", 16384), ("hf", 32768), ("hybrid", 65536), ("global", 65536)]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--smoke", action="store_true", help="tiny shape on CPU (same code path and table)")
    p.add_argument(
        "--seqs", type=lambda s: [int(x) for x in s.split(",")], help="sequence lengths, comma-separated"
    )
    p.add_argument(
        "--variants", help="hybrid,global,hf (with --seqs: every pair; default GPU rows: GPU_ROWS)"
    )
    p.add_argument("--steps", type=int, help="timed optimizer steps per row (default 3)")
    p.add_argument(
        "--warmup", type=int, help="untimed steps first (default 2 GPU — compiles; HF 1 — 1 smoke)"
    )
    p.add_argument(
        "--ac-from", type=int, help="activation checkpointing from this length (default 16384; smoke 512)"
    )
    p.add_argument(
        "--tokens-per-step", type=int, help="accumulate micro-batches up to this (default 32768; smoke 512)"
    )
    p.add_argument("--batch", type=int, default=1, help="sequences per micro-batch (default 1)")
    p.add_argument(
        "--attn",
        choices=ATTN_IMPLS,
        default="auto",
        help="our models' attention kernel (default auto: FlexAttention on CUDA, SDPA on CPU)",
    )
    p.add_argument(
        "--bf16-cache",
        action="store_true",
        help="ours: bf16 weight copies once per optimizer step (train_entry.weight_cache; CUDA)",
    )
    p.add_argument(
        "--doc-mask",
        action="store_true",
        help="ours: pass all-ones document ids (the document-mask kernels) instead of none (causal kernels)",
    )
    p.add_argument(
        "--no-cudnn",
        action="store_true",
        help="torch.backends.cuda.enable_cudnn_sdp(False): ours' causal layers run Flash, not cuDNN first",
    )
    p.add_argument(
        "--budget-s", type=float, default=float("inf"), help="start no row after this many seconds"
    )
    p.add_argument("--jsonl", type=Path, help="append each row here as it finishes")
    p.add_argument("--profile", action="store_true", help="after each row, print where one step's time goes")
    p.add_argument(
        "--no-compile", dest="compile", action="store_false", help="GPU: skip torch.compile of layers"
    )
    p.add_argument("--no-write", action="store_true", help="print only; leave bench/RESULTS.md alone")
    args = p.parse_args(argv)
    cuda = torch.cuda.is_available() and not args.smoke
    device = torch.device("cuda" if cuda else "cpu")
    if args.no_cudnn:
        torch.backends.cuda.enable_cudnn_sdp(
            False
        )  # train_entry.attention._cudnn_first respects it (HF's sdpa too)
    if not cuda and not args.smoke:
        print("no CUDA device: running the CPU smoke mode (tiny shape); bench/RESULTS.md keeps the GPU table")
        args.smoke = True
    cfg = PRESETS["bench-1.3b"] if cuda else TINY
    if args.seqs or args.variants or not cuda:
        seqs = args.seqs or ([4096, 16384, 32768, 65536] if cuda else [128, 256, 512])
        plan = [(v, s) for s in seqs for v in (args.variants or "hybrid,global,hf").split(",")]
    else:
        plan = GPU_ROWS
    args.steps = args.steps or 3
    args.warmup = args.warmup if args.warmup is not None else (2 if cuda else 1)
    args.ac_from = args.ac_from or (16384 if cuda else 512)
    args.tokens_per_step = args.tokens_per_step or (32768 if cuda else 512)
    args.compile = args.compile and cuda
    if (
        cuda
    ):  # every (variant, length) pair compiles its own graphs: past dynamo's default limit of 8 it falls
        torch._dynamo.config.recompile_limit = 64  # back to eager without an error, and the rows would lie
        # Static shapes per row, as in training (packed sequences have one length). With Dynamo's automatic dynamic
        # shapes, the rows after a length change reuse dynamic-shape kernels: on the H200, hybrid at 16K then ran
        # slower per token than at 32K.
        torch._dynamo.config.automatic_dynamic_shapes = False
    else:
        torch.set_num_threads(1)
    name = torch.cuda.get_device_name(device) if cuda else "2-core CPU (smoke: tiny model, 1 thread)"
    print(f"device: {name} · torch {torch.__version__}", flush=True)
    start, rows = time.perf_counter(), []
    for variant, seq in plan:
        if time.perf_counter() - start > args.budget_s:
            rows.append({**planned_row(variant, seq, args), "error": "not run (time budget)"})
            continue
        rows.append(measure(variant, cfg, seq, args, device))
        rows[-1]["elapsed_s"] = round(time.perf_counter() - start, 1)
        print(json.dumps(rows[-1]), flush=True)
        if args.jsonl:
            with args.jsonl.open("a") as f:
                f.write(json.dumps({**rows[-1], "device": name}) + "\n")
    shape = (f"d {cfg.hidden_size}, {cfg.num_layers} layers, {cfg.num_heads}/{cfg.num_kv_heads} heads, "
             f"vocab {cfg.vocab_size}, window {cfg.sliding_window}")  # fmt: skip
    text = report(rows, cfg, device)
    how = (f"batch {args.batch} per micro-batch, micro-batches accumulated to {args.tokens_per_step:,} tokens per optimizer "
           f"step; fastest of {args.steps} timed steps after {args.warmup} warm-up (HF: 1)")  # fmt: skip
    print(f"device: {name} · {shape} · {how}\n{text}")
    if cuda and not args.no_write:  # the CPU smoke run never replaces the GPU table
        write_section(
            "train_bench", f"Device: {name}, torch {torch.__version__}. Shape: {shape}; {how}.\n\n{text}\n"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
