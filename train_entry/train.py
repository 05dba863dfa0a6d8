"""The training loop: packed export → HybridLM → checkpoints, log.jsonl and a Hugging Face directory.

    from train_entry.train import train
    summary = train("configs/train/demo.yaml", data="exports/demo", out_dir="runs/demo")

Resumes from the newest checkpoint in out_dir/checkpoints when one exists (model, optimizer, step, data cursor,
RNG): a run killed at any point and started again follows the same loss curve bit for bit on CPU.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch

from datamill.errors import InputError
from train_entry import distributed as D
from train_entry.checkpoint import (
    TrainState,
    check_resume,
    latest_checkpoint,
    load_checkpoint,
    save_checkpoint,
    set_rng_state,
)
from train_entry.config import TrainConfig, load_train_config
from train_entry.data import PackedReader, PackedSplits
from train_entry.model import HybridLM, ModelConfig
from train_entry.optim import build_optimizer, lr_at
from train_entry.weight_cache import Bf16WeightCache

logger = logging.getLogger(__name__)  # `log` is train()'s callback parameter


@dataclass
class TrainSummary:
    steps: int
    final_loss: float | None
    final_eval_loss: float | None
    resumed_from: int | None  # step of the checkpoint this run started from
    checkpoint_dir: str | None
    hf_dir: str | None
    log_path: str
    tokens: int
    target_tokens: int
    seconds: float
    bad_rows: int
    num_params: int


def train(
    config: TrainConfig | str | Path,
    *,
    resume: bool = True,
    log: Callable[[str], None] | None = None,
    **overrides,
) -> TrainSummary:
    """`log` gets each console line (default: this module's logger at INFO, shown by the CLI)."""
    cfg = config if isinstance(config, TrainConfig) else load_train_config(config, **overrides)
    if isinstance(config, TrainConfig) and overrides:
        cfg = TrainConfig.model_validate(
            {**cfg.model_dump(), **{k: v for k, v in overrides.items() if v is not None}}
        )
    info = D.init_distributed(cfg.device)
    if cfg.attn_impl == "varlen" and info.device.type != "cuda":
        raise InputError(f"attn_impl: varlen runs torch's Flash Attention kernel, which needs CUDA; this run is on "
                         f"{info.device.type}: use auto or sdpa")  # fmt: skip
    log = (log or logger.info) if info.main else (lambda *_: None)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    out = Path(cfg.out_dir)
    ckpt_root, log_path = out / "checkpoints", out / "log.jsonl"
    reader = PackedReader(cfg.data)
    for p in reader.problems:
        log(f"skipped {p}")
    splits = PackedSplits(reader, cfg.eval_fraction, cfg.eval_max_seqs, cfg.seed)
    mcfg = cfg.model.build(reader.meta.vocab_size).replace(attn_impl=cfg.attn_impl)
    bf16 = cfg.dtype == "bf16" or (cfg.dtype == "auto" and info.device.type == "cuda")
    if cfg.bf16_weight_cache and (not bf16 or info.sharded):
        raise InputError("bf16_weight_cache: needs bf16 autocast in one process (this run: "
                         f"{'bf16' if bf16 else 'fp32'}, {info.world} processes; FSDP2 has its own mixed precision)")  # fmt: skip

    model = _build_model(cfg, mcfg, info, bf16)
    opt = build_optimizer(model, lr=cfg.lr, weight_decay=cfg.weight_decay, betas=cfg.betas)
    amp = (
        torch.autocast(info.device.type, torch.bfloat16)
        if bf16 and not info.sharded
        else contextlib.nullcontext()
    )
    arch = {k: v for k, v in asdict(mcfg).items() if k != "attn_impl"}
    data_id = {"manifest_sha256": reader.meta.manifest_sha256, "seq_len": reader.meta.seq_len}
    state, resumed_from = (
        _resume(ckpt_root, model, opt, arch, data_id, info, log) if resume else (TrainState(), None)
    )
    if info.main:
        _truncate_log(log_path, state.step)
    cache = (
        Bf16WeightCache(model) if cfg.bf16_weight_cache else None
    )  # after any resume: copies of loaded weights
    log(
        f"model {model.num_params():,} params · {mcfg.num_layers} layers {mcfg.layer_pattern} · vocab {mcfg.vocab_size}"
        f" · {len(splits.train_rows)} train / {len(splits.eval_rows)} eval rows × {reader.meta.seq_len} · {info.device}"
    )

    last_loss, eval_loss, t_start, window = None, None, time.perf_counter(), LogWindow()
    while state.step < cfg.max_steps:
        t0 = time.perf_counter()
        step = train_step(model, opt, splits, state, cfg, info, amp, cache)
        window.add(step)
        if step.targets:  # a batch of rows without assistant tokens has no loss (not a loss of 0)
            last_loss = step.loss_sum / step.targets
        rec = step.record(state.step, seconds=time.perf_counter() - t0)
        eval_due = bool(cfg.eval_every and state.step % cfg.eval_every == 0)
        if _console_line(state.step, cfg, eval_due):
            rec |= window.close()
        if eval_due or state.step == cfg.max_steps:
            eval_loss = rec["eval_loss"] = evaluate(model, splits, cfg, info, amp)
        _log_step(rec, log_path, info, cfg, log)
        if state.step % cfg.ckpt_every == 0 or state.step == cfg.max_steps:
            _checkpoint(model, opt, state, ckpt_root, info, cfg.keep_ckpts, arch, data_id)

    hf_dir = _export_hf(model, mcfg, reader, out / "hf", info) if cfg.export_hf else None
    if last_loss is None:  # resumed at max_steps: report the logged values
        last_loss, eval_loss = _last_logged(log_path)
    D.shutdown(info)
    done = latest_checkpoint(ckpt_root)
    return TrainSummary(state.step, last_loss, eval_loss, resumed_from, str(done) if done else None,
                        str(hf_dir) if hf_dir else None, str(log_path), state.tokens, state.target_tokens,
                        time.perf_counter() - t_start, len(reader.bad_rows), model.num_params())  # fmt: skip


@dataclass
class StepResult:
    """One optimizer step, summed over every rank."""

    loss_sum: float  # summed loss of the target tokens
    targets: int  # tokens that carried loss
    tokens: int  # input tokens
    grad_norm: float  # before clipping
    lr: float

    def record(self, step: int, seconds: float) -> dict:
        """The step's log.jsonl line."""
        return {
            "step": step,
            "loss": self.loss_sum / self.targets if self.targets else None,
            "lr": self.lr,
            "grad_norm": self.grad_norm,
            "target_tokens": self.targets,
            "tok_per_s": self.tokens / seconds,
        }


@dataclass
class LogWindow:
    """The steps since the previous console line, whose means that line shows (grad norms: steps with targets)."""

    loss_sum: float = 0.0
    targets: int = 0
    grad_norms: list[float] = field(default_factory=list)

    def add(self, step: StepResult) -> None:
        self.loss_sum += step.loss_sum
        self.targets += step.targets
        if step.targets:
            self.grad_norms.append(step.grad_norm)

    def close(self) -> dict[str, float | None]:
        """Mean loss per target token and mean grad norm over the window; the next window starts empty."""
        means = {
            "loss_window": self.loss_sum / self.targets if self.targets else None,
            "grad_norm_window": sum(self.grad_norms) / len(self.grad_norms) if self.grad_norms else None,
        }
        self.loss_sum, self.targets, self.grad_norms = 0.0, 0, []
        return means


def train_step(
    model: HybridLM,
    opt,
    splits: PackedSplits,
    state: TrainState,
    cfg: TrainConfig,
    info: D.DistInfo,
    amp,
    cache: Bf16WeightCache | None,
) -> StepResult:
    """One optimizer step: `grad_accum` micro-batches per rank from the data cursor, the loss a mean over every
    rank's target tokens, clipping, the optimizer; advances `state` (step, cursor, token counts)."""
    lr = lr_at(state.step, lr=cfg.lr, warmup_steps=cfg.warmup_steps, max_steps=cfg.max_steps,
               min_lr_ratio=cfg.min_lr_ratio)  # fmt: skip
    for g in opt.param_groups:
        g["lr"] = lr
    batches = [splits.reader.batch(splits.rows_at(
        state.cursor + (j * info.world + info.rank) * cfg.micro_batch_size, cfg.micro_batch_size))
        for j in range(cfg.grad_accum)]  # fmt: skip
    n_targets, n_tokens = D.all_reduce_sum([sum(b.num_targets for b in batches),
                                            sum(b.input_ids.numel() for b in batches)], info)  # fmt: skip
    loss_sum = torch.zeros((), device=info.device)
    model.train()
    for b in batches:
        b = b.to(info.device)
        with cache or contextlib.nullcontext(), amp:
            loss = model(
                b.input_ids,
                b.attention_segments,
                targets_BL=b.targets,
                loss_chunk_tokens=cfg.loss_chunk_tokens,
            )
        (loss * info.world / max(n_targets, 1)).backward()  # FSDP averages over ranks; undo it: global mean
        loss_sum += loss.detach()  # no host sync per micro-batch
    gnorm = torch.nn.utils.clip_grad_norm_(
        model.parameters(), cfg.grad_clip if cfg.grad_clip > 0 else float("inf")
    )
    opt.step()
    opt.zero_grad(set_to_none=True)
    if cache:
        cache.refresh()
    state.step += 1
    state.cursor += cfg.micro_batch_size * info.world * cfg.grad_accum
    state.tokens += int(n_tokens)
    state.target_tokens += int(n_targets)
    step_loss = D.all_reduce_sum([loss_sum.item()], info)[0]
    return StepResult(step_loss, int(n_targets), int(n_tokens), _item(gnorm), lr)


def _build_model(cfg: TrainConfig, mcfg: ModelConfig, info: D.DistInfo, bf16: bool) -> HybridLM:
    """The seeded model on its device; under FSDP2 built on `meta`, sharded, then filled from rank 0's init."""
    torch.manual_seed(cfg.seed)
    with torch.device("meta" if info.sharded else info.device):
        model = HybridLM(mcfg)
    if cfg.activation_checkpointing:
        D.apply_activation_checkpointing(model)
    if cfg.compile:
        D.apply_compile(model)
    if info.sharded:
        D.apply_fsdp(model, bf16)
        D.materialize_from_rank0(model, lambda: _seeded(HybridLM, mcfg, seed=cfg.seed).state_dict(), info)
    return model


def _resume(
    ckpt_root: Path, model, opt, arch: dict, data_id: dict, info: D.DistInfo, log
) -> tuple[TrainState, int | None]:
    """Model, optimizer, data cursor and RNG from the newest checkpoint: (state, its step), or a fresh start."""
    last = latest_checkpoint(ckpt_root)
    if last is None:
        return TrainState(), None
    check_resume(last, arch, data_id)
    state, model_sd, optim_sd, rng = load_checkpoint(last)
    D.load_states(model, opt, model_sd, optim_sd, info)
    set_rng_state(rng)
    log(f"resumed from {last} (step {state.step}, cursor {state.cursor})")
    return state, state.step


def _seeded(cls, *args, seed: int):
    torch.manual_seed(seed)
    return cls(*args)


@torch.no_grad()
def evaluate(model: HybridLM, splits: PackedSplits, cfg: TrainConfig, info: D.DistInfo, amp) -> float | None:
    """Token-weighted mean loss over the held-out rows (every rank runs all of them: FSDP needs equal work)."""
    if len(splits.eval_rows) == 0:
        return None
    model.eval()
    total, count = 0.0, 0
    for b in splits.eval_batches(cfg.micro_batch_size):
        b = b.to(info.device)
        with amp:
            total += model(
                b.input_ids,
                b.attention_segments,
                targets_BL=b.targets,
                loss_chunk_tokens=cfg.loss_chunk_tokens,
            ).item()
        count += b.num_targets
    return total / max(count, 1)


def _item(x) -> float:
    return float(x.full_tensor() if hasattr(x, "full_tensor") else x)


def _checkpoint(
    model, opt, state: TrainState, root: Path, info: D.DistInfo, keep: int, arch: dict, data_id: dict
) -> None:
    model_sd, optim_sd = D.model_state(model, info), D.optim_state(model, opt, info)
    if info.main:
        save_checkpoint(root, state, model_sd, optim_sd, keep, arch, data_id)
    D.barrier(info)


def _export_hf(model, mcfg, reader: PackedReader, hf_dir: Path, info: D.DistInfo) -> Path | None:
    from train_entry.hf_io import save_hf

    sd = D.model_state(model, info)
    if not info.main:
        return None
    tok = Path(reader.meta.tokenizer) if reader.meta.tokenizer else None
    if tok is not None and not tok.is_absolute() and not tok.exists():
        tok = reader.path / tok
    ids = {"eos_id": reader.meta.eos_id, "pad_id": reader.meta.pad_id}
    return save_hf(sd, mcfg, hf_dir, tok if tok and tok.is_dir() else None, ids)


def _log_step(rec: dict, path: Path, info: D.DistInfo, cfg: TrainConfig, log) -> None:
    if not info.main:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(rec) + "\n")
    if "loss_window" in rec:
        ev = f" eval {rec['eval_loss']:.4f}" if rec.get("eval_loss") is not None else ""
        loss = f"{rec['loss_window']:.4f}" if rec["loss_window"] is not None else "  n/a "
        gn = f"{rec['grad_norm_window']:.2f}" if rec["grad_norm_window"] is not None else "n/a"
        log(f"step {rec['step']:>6}/{cfg.max_steps} loss {loss}{ev} lr {rec['lr']:.2e} "
            f"gnorm {gn} {rec['tok_per_s'] / 1e3:.1f}k tok/s")  # fmt: skip


def _console_line(step: int, cfg: TrainConfig, eval_due: bool) -> bool:
    """Console lines show the mean loss over the steps since the previous line."""
    return step % cfg.log_every == 0 or eval_due or step == cfg.max_steps


def _truncate_log(path: Path, step: int) -> None:
    """Drop log lines past the checkpoint we resume from (steps a killed run did after its last checkpoint)."""
    if not path.exists():
        return
    from datamill.atomic import atomic_write_text

    keep = []
    for ln in path.read_text().splitlines():
        try:
            if json.loads(ln)["step"] <= step:
                keep.append(ln)
        except (json.JSONDecodeError, KeyError, TypeError):
            continue  # a line cut short by the kill
    atomic_write_text(path, "".join(ln + "\n" for ln in keep))


def _last_logged(path: Path) -> tuple[float | None, float | None]:
    recs = [json.loads(ln) for ln in path.read_text().splitlines() if ln.strip()] if path.exists() else []
    evals = [r["eval_loss"] for r in recs if r.get("eval_loss") is not None]
    return (recs[-1]["loss"] if recs else None), (evals[-1] if evals else None)


def summary_json(s: TrainSummary) -> str:
    return json.dumps(asdict(s), indent=2)
